"""The two ways to install the course (pip + pyproject, conda + environment.yml) agree."""

import tomllib

import yaml

from helpers.env import MINIMUM_VERSIONS, repo_root

ROOT = repo_root()


def pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return {r.replace(" ", "") for r in project["dependencies"] + extras}


def conda_pip_requirements() -> set[str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_sections = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip section"
    return {r.replace(" ", "") for r in pip_sections[0] if not r.startswith("-e")}


def test_environment_yml_lists_the_same_requirements_as_pyproject():
    missing = pyproject_requirements() - conda_pip_requirements()
    extra = conda_pip_requirements() - pyproject_requirements()
    assert not missing and not extra, f"only in pyproject: {sorted(missing)}; only in environment.yml: {sorted(extra)}"


def test_environment_yml_installs_the_course_package_itself():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section


def test_the_environment_check_asks_for_no_more_than_pyproject_allows():
    requirements = pyproject_requirements()
    for module, oldest in MINIMUM_VERSIONS.items():
        package = {"cv2": "opencv-python-headless"}.get(module, module)
        assert any(r.startswith(f"{package}>={oldest}") for r in requirements), (
            f"helpers.env wants {module} >= {oldest} but pyproject.toml pins {package} differently")


def test_opencv_is_the_headless_build():
    assert not any(r.startswith("opencv-python>") or r.startswith("opencv-python=")
                   for r in pyproject_requirements()), "the GUI build of OpenCV needs libGL, absent on servers"
