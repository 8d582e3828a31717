"""jifen: the Git-native points scheme (党员积分制) and its public bulletin (党务公开栏).

The pipeline, one module a stage:

    load (load.py) → validate (validate.py) → score (score.py) → report (report.py)

Loading and validation return errors as values (``errors.Diagnostic``); nothing
downstream runs on data that did not validate.
"""

__version__ = "0.1.0"
