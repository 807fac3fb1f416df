# The course's commands. A newcomer needs two:  make course  (run it all)  and  make test.
# Every target first makes sure .venv exists and holds the course (make setup).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.course-installed
PYTEST_NOTEBOOKS := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: help setup data course quick lab workspace progress grade test unit clean outputs student site

help:
	@echo "make course   set up, get the data, execute every notebook (full parameters) into build/notebooks/"
	@echo "make quick    the same with QUICK=True (minutes, not an hour)"
	@echo "make lab      open JupyterLab at the repository root on your own copies in workspace/ (made on first use)"
	@echo "make workspace  bring new and updated course notebooks into workspace/ (never overwrites your changes)"
	@echo "make progress every exercise in workspace/: passed, failed or not attempted"
	@echo "make grade SUBMISSIONS=DIR OUT=DIR   grade learners' notebooks (one folder per learner) into OUT/grades.csv"
	@echo "make test     set up, then unit tests + every notebook once with nbval (quick mode)"
	@echo "make data     download the cats-vs-dogs photos into data/ (or \$$COURSE_DATA_DIR) if missing"
	@echo "make setup    only create .venv and install the course"
	@echo "make student  student versions (solutions stubbed, outputs cleared) into build/student/; SOLUTIONS=no leaves solutions out"
	@echo "make site     the course as HTML pages with an index into build/site/ (after make course: fresh outputs)"

$(PY):
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else "Python 3.11 or newer is needed; $(PYTHON) is %d.%d. Run: make PYTHON=python3.11 ..." % v[:2])'
	$(PYTHON) -m venv $(VENV)

# Reinstall when pyproject.toml changes.
$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -c "from tools.notebooks import ensure_kernel; ensure_kernel()"
	@touch $(STAMP)

setup: $(STAMP)

data: setup
	$(PY) -m helpers.data download cats-dogs

course: data
	$(PY) tools/run_notebooks.py

quick: data
	$(PY) tools/run_notebooks.py --quick

# JupyterLab at the repository root (helpers/ beside the notebooks), opened on workspace/: the
# learner's own copies, made from the learner edition on first use (tools/workspace.py).
lab: data
	$(PY) -c "from tools.notebooks import ensure_kernel; ensure_kernel()"
	$(PY) tools/workspace.py create
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/workspace

workspace: setup
	$(PY) tools/workspace.py update

progress: setup
	$(PY) tools/workspace.py progress

# Grade learners' notebooks: make grade SUBMISSIONS=submissions OUT=grades [QUICK=1] [NOTEBOOKS="01 02"]
SUBMISSIONS ?= submissions
OUT ?= build/grades
grade: data
	$(if $(QUICK),COURSE_QUICK=1) $(PY) tools/grade.py $(SUBMISSIONS) --out $(OUT) $(if $(NOTEBOOKS),--notebooks $(NOTEBOOKS))

# The README's test command: unit tests, and nbval on every notebook (each notebook runs once here;
# tests/test_student.py runs each student version once more).
test: data
	$(PY) -m pytest tests notebooks $(PYTEST_NOTEBOOKS)

unit: setup
	$(PY) -m pytest tests -m "not notebook"

clean:
	rm -rf build .pytest_cache

# Re-execute notebooks in place with their full parameters, so the committed outputs are current.
# make outputs NB=notebooks/03_convolution.ipynb   (default: every notebook)
NB ?= notebooks/*.ipynb
outputs: data
	env -u COURSE_QUICK $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.kernel_name=cnn-course --ExecutePreprocessor.timeout=3600 $(NB)
	$(PY) tools/clean_outputs.py $(NB)

# Student versions for instructors: solutions replaced by `raise NotImplementedError()`, hidden
# tests removed, outputs cleared, plus a README.md for learners (tools/student.py).
# make student SOLUTIONS=no  leaves the solutions out entirely (no solutions.json).
student: setup
	$(PY) tools/student.py --out build/student $(if $(filter no,$(SOLUTIONS)),--no-solutions)

# The course as an offline book of HTML pages (nbconvert's lab template, MathJax beside the pages,
# previous/next links and a table of contents on every page, an index with each lesson's goals
# and time; tools/site.py). Renders the executed copies in build/notebooks/ where `make course`
# left current ones, else the committed notebooks, which carry the outputs of a full run.
site: setup
	$(PY) tools/site.py --out build/site
