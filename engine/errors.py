"""One exception tree for the engine.

Every error a user can cause derives from :class:`ContagionError`.  The CLI maps
:class:`InputError` (and its subclasses) to exit code 2 and
:class:`ConvergenceError` to exit code 3; anything else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


class ContagionError(Exception):
    """Base class of every error the engine raises on purpose."""

    exit_code = 1


@dataclass(frozen=True)
class Defect:
    """One problem found in an input file.

    ``row`` is the 1-based line number in the file as a spreadsheet shows it
    (the header is line 1, the first data row is line 2); ``None`` when the
    defect concerns the whole file or a whole column.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class InputError(ContagionError):
    """Bad input: a bundle, scenario, target or config file the engine cannot use."""

    exit_code = 2

    def __init__(self, message: str, defects: list[Defect] | None = None):
        self.defects = list(defects or [])
        super().__init__(message)

    def __str__(self) -> str:
        head = super().__str__()
        if not self.defects:
            return head
        lines = [head] + [f"  - {d}" for d in self.defects]
        return "\n".join(lines)


class BundleError(InputError):
    """A graph bundle failed validation; ``defects`` lists every problem found."""


class BundleWarning(UserWarning):
    """A bundle is valid but holds something a user should know (e.g. duplicate edges, which are summed).

    Emitted with :func:`warnings.warn` by :func:`engine.bundle.load_bundle` and
    :func:`engine.bundle.validate_bundle`; the CLI prints each on stderr as
    ``warning: ...`` and the weekly report logs it.
    """


class ScenarioError(InputError):
    """A scenario file is invalid (unknown key, bad value, selector matching nothing)."""


class ConvergenceError(ContagionError):
    """An iterative algorithm did not reach its tolerance within its iteration cap."""

    exit_code = 3

    def __init__(self, algorithm: str, iterations: int, residual: float, tol: float):
        self.algorithm = algorithm
        self.iterations = iterations
        self.residual = residual
        self.tol = tol
        super().__init__(
            f"{algorithm} did not converge: residual {residual:.3e} > tol {tol:.1e} "
            f"after {iterations} iterations"
        )
