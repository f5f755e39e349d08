"""The public API: what `import fundopt` offers, kept tidy."""

import fundopt as fo


def test_all_is_sorted_and_every_name_exists():
    assert fo.__all__ == sorted(fo.__all__)
    for name in fo.__all__:
        assert hasattr(fo, name), name


def test_the_quick_start_names_are_there():
    for name in ("read_workbook", "solve", "write_workbook", "verify", "FundingProblem", "Plan"):
        assert name in fo.__all__
