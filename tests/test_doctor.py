"""labsupport.lab.doctor: what it finds, and the fix it offers when something is missing."""

from labsupport.lab.doctor import check_package, check_program, checks, doctor


def test_every_check_passes_on_a_machine_set_up_by_the_course_script(capsys):
    failed = [(c.name, c.found, c.fix) for c in checks() if not c.ok]
    assert failed == []
    doctor()
    assert capsys.readouterr().out.splitlines()[-1] == "All checks passed."


def test_a_missing_program_is_reported_with_its_fix():
    check = check_program("nope", ["no-such-program-here"], "install it", "nothing")
    assert (check.ok, check.found, check.fix) == (False, "not found on PATH", "install it")


def test_a_missing_package_is_reported_with_its_fix():
    check = check_package("no-such-package-here")
    assert not check.ok and "README" in check.fix
