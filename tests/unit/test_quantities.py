from shared.domain.quantities import units_by_sku
from shared.models.orders import LineQuantityIn


def test_lines_of_one_sku_are_summed_in_first_seen_order() -> None:
    lines = [
        LineQuantityIn(sku="MUG", quantity=2),
        LineQuantityIn(sku="LAMP", quantity=1),
        LineQuantityIn(sku="MUG", quantity=3),
    ]

    totals = units_by_sku(lines)

    assert totals == {"MUG": 5, "LAMP": 1}
    assert list(totals) == ["MUG", "LAMP"]


def test_no_lines_no_units() -> None:
    assert units_by_sku([]) == {}
