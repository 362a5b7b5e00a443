import dataclasses

import numpy as np
import pytest

from minecalc import hardware


@pytest.fixture(scope="module")
def catalogue():
    return hardware.load_hardware()


def test_catalogue_shape(catalogue):
    assert len(catalogue) == 32
    assert catalogue["model"].is_unique
    assert catalogue["power_w"].notna().all()
    assert catalogue["power_w_derived"].dtype == bool
    assert catalogue["power_w_derived"].sum() == 11  # data/README.md


def test_published_power_agrees_with_efficiency(catalogue):
    # README: efficiency is power / hashrate rounded to 0.1 where power is given.
    given = catalogue[~catalogue["power_w_derived"]]
    np.testing.assert_allclose(
        given["power_w"] / given["hashrate_th_s"], given["efficiency_j_per_th"], atol=0.05
    )


def test_copy_protects_cache():
    first = hardware.load_hardware()
    first.loc[0, "power_w"] = 0.0
    assert hardware.load_hardware().loc[0, "power_w"] > 0


def test_derived_power():
    m70s = hardware.get_machine("Whatsminer M70S")
    assert m70s.power_w == pytest.approx(226 * 13.9)
    assert m70s.power_w_derived
    assert m70s.price_usd_per_th is None


@pytest.mark.parametrize("name", ["antminer s21", "  Antminer   S21 ", "ANTMINERS21", "s21"])
def test_lookup_ignores_case_space_and_brand(name):
    s21 = hardware.get_machine(name)
    assert s21.model == "Antminer S21"
    assert s21.efficiency_j_per_th == 17.5
    assert s21.power_w == 3500 and not s21.power_w_derived
    assert s21.price_usd_per_th == 13.5


def test_lookup_without_brand_is_exact():
    assert hardware.get_machine("s21 xp").model == "Antminer S21 XP"
    assert hardware.get_machine("a1566").model == "Avalon A1566"


def test_every_model_round_trips(catalogue):
    for model in catalogue["model"]:
        assert hardware.get_machine(model.lower()).model == model


def test_machine_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        hardware.get_machine("S21").power_w = 0.0


def test_unknown_model_suggests_closest():
    with pytest.raises(
        ValueError,
        match=r"unknown hardware model 'S21 XPP': expected one of the catalogue models, "
        r"closest: 'Antminer S21 XP'",
    ):
        hardware.get_machine("S21 XPP")


def test_unknown_model_without_match():
    with pytest.raises(ValueError, match=r"unknown hardware model 'qwerty'.*closest: none"):
        hardware.get_machine("qwerty")
