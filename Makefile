# newscrawl: two commands for a new user, `make demo` and `make test`.
# Both build .venv from the pinned requirements.txt first (`make install`).
# `make lint` runs ruff (pyproject.toml [tool.ruff]); CI runs it before the tests.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint serve bench bench-search bench-real bench-reextract clean help

DB ?= archive/demo.db

help:
	@echo "make demo     crawl the bundled local Elaph-model site into archive/demo.db, dump it, summarize"
	@echo "make test     run the tests (real crawls of the local model site)"
	@echo "make lint     ruff over the whole tree (rules in pyproject.toml); CI runs it before the tests"
	@echo "make serve    browse and search archive/demo.db in Datasette (DB=archive/news.db for yours)"
	@echo "make bench    crawl, extraction, store, import/reindex/export and re-extraction, beside bare Scrapy, Trafilatura, sqlite-utils and warcio+lxml (about 20 min)"
	@echo "make bench-search  search latency on 100,000 articles and 1,000,000 comments (about 15 min)"
	@echo "make bench-real    scores on the captured real pages in ../shared, beside Trafilatura (about 1 min)"
	@echo "make bench-reextract  newscrawl reextract --jobs 1 and 2, beside warcio+lxml and Trafilatura (about 4 min)"
	@echo "make install  build .venv from requirements.txt (done by demo and test)"
	@echo "make clean    remove .venv and the demo archive"

# The project's own modules compiled too, as pip compiles what it installs:
# where PYTHONDONTWRITEBYTECODE is set (Docker's Python images, this CI), an
# editable install would otherwise compile them again at every start, 70 ms
# of each command's 0.4 s start-up (and of every crawl the tests run).
install: $(STAMP)
	@$(PY) -m compileall -q newscrawl pipelines

$(STAMP): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -c "import trafilatura, scrapy, sqlite_utils, lxml_html_clean"  # fails loudly if a pin is broken
	touch $(STAMP)

demo: install
	$(PY) -m newscrawl.demo

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check .

serve: install
	$(VENV)/bin/newscrawl serve --db $(DB)

bench: install
	$(PY) benchmarks/crawl_bench.py
	$(PY) benchmarks/store_bench.py
	$(PY) benchmarks/reextract_bench.py

bench-search: install
	$(PY) benchmarks/search_bench.py

bench-real: install
	$(PY) benchmarks/real_pages_bench.py
	$(PY) benchmarks/comment_threads_bench.py

bench-reextract: install
	$(PY) benchmarks/reextract_bench.py

clean:
	rm -rf $(VENV) archive/demo.db* archive/dumps archive/demo-crawl.log
