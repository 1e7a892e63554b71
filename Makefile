# Two commands on a fresh machine: `make run` (install, build the index, start the chat)
# and `make test` (install, then the whole test suite, browser tests included).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
INDEX  ?= index
HOST   ?= 127.0.0.1
PORT   ?= 7860
SHARED ?= ../shared
REPORTS := eval/reports

.PHONY: install run index test test-fast lint eval bench bench-quick bench-external browser ocr bench-ocr bench-stream screenshot train clean

install: $(STAMP)

# torch first, pinned: anything else that needs torch would otherwise pull a CUDA build.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	@touch $(STAMP)

# Incremental: a no-op (a few seconds) when seeds/ has not changed.
index: install
	$(BIN)/assistant ingest seeds --index-dir $(INDEX)

run: index ocr
	$(BIN)/python app.py --index-dir $(INDEX) --host $(HOST) --port $(PORT)

# Chromium for the browser tests: any the tests find (tests/browsers.py: chromium, chromium-browser,
# google-chrome(-stable), chrome, or Playwright's own), else Debian's package (never a test tool's download).
browser: install
	@$(BIN)/python tests/browsers.py >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: \`make test\` will fail at the browser tests"; \
	  else echo "no Chromium found and cannot apt-get it: \`make test\` will fail at the browser tests;" \
	    "install chromium (or chromium-browser, google-chrome), or set ASSISTANT_CHROMIUM=/path/to/chrome"; fi; }

# Tesseract for scanned PDFs (pages with no text layer are read by OCR), from Debian's
# packages with its English model; without it such pages are reported with this fix.
ocr:
	@command -v tesseract >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null) \
	      || echo "could not install tesseract-ocr: \`make test\` will fail at the OCR tests"; \
	  else echo "tesseract not found and cannot apt-get it: scanned PDFs will be reported," \
	    "\`make test\` will fail at the OCR tests (apt-get install tesseract-ocr tesseract-ocr-eng)"; fi; }

# The whole suite: a missing browser or Tesseract is a failure here (ASSISTANT_REQUIRE_BROWSER,
# ASSISTANT_REQUIRE_OCR), never a skip.
test: install browser ocr
	ASSISTANT_REQUIRE_BROWSER=1 ASSISTANT_REQUIRE_OCR=1 $(BIN)/python -m pytest -q

# Without the slow tests (real models, servers, the browser).
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

lint: install
	$(BIN)/ruff check assistant tests app.py chatui tools

# Seed eval on a fresh temporary index; fails below the accuracy floor.
eval: install
	@mkdir -p $(REPORTS)
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	$(BIN)/assistant ingest seeds --index-dir $$tmp/index --no-progress && \
	$(BIN)/assistant eval eval/seeds.jsonl --index-dir $$tmp/index --report $(REPORTS)/seeds.json --min-accuracy 0.88

bench-quick: install
	$(BIN)/assistant bench --quick --json $(REPORTS)/bench-quick.json

bench: install
	$(BIN)/assistant bench --json $(REPORTS)/bench.json

# OCR engines on test-made scans: character accuracy and seconds per page (RapidOCR too when
# `pip install rapidocr-onnxruntime` has been run; it is not a dependency).
bench-ocr: install ocr
	$(BIN)/python tools/bench_ocr.py --json $(REPORTS)/ocr.json

# Seconds from Ask to the first words of the reply on screen, over the seed questions (Chromium).
bench-stream: install browser
	$(BIN)/python tools/bench_stream.py --json $(REPORTS)/stream-latency.json

# External benchmarks (need ../shared); not part of `make test`.
bench-external: install
	@mkdir -p $(REPORTS) .cache
	$(BIN)/assistant ingest $(SHARED)/benchmarks/realtimeqa/corpus.jsonl --index-dir .cache/realtimeqa --no-progress
	$(BIN)/assistant ingest $(SHARED)/benchmarks/realtimeqa-noanswer/corpus.jsonl --index-dir .cache/noanswer --no-progress
	$(BIN)/assistant eval $(SHARED)/benchmarks/realtimeqa-noanswer/questions.jsonl --index-dir .cache/noanswer \
	  --report $(REPORTS)/noanswer.json
	$(BIN)/assistant eval $(SHARED)/benchmarks/realtimeqa/questions.jsonl --index-dir .cache/realtimeqa \
	  --report $(REPORTS)/realtimeqa.json --unanswerable-report $(REPORTS)/noanswer.json
	$(BIN)/assistant eval $(SHARED)/benchmarks/realtimeqa-noanswer/questions.jsonl --index-dir .cache/noanswer \
	  --ignore-asked-on --report $(REPORTS)/noanswer-undated.json
	$(BIN)/assistant eval $(SHARED)/benchmarks/realtimeqa/questions.jsonl --index-dir .cache/realtimeqa \
	  --ignore-asked-on --report $(REPORTS)/realtimeqa-undated.json --unanswerable-report $(REPORTS)/noanswer-undated.json
	$(BIN)/assistant ingest $(SHARED)/benchmarks/polnear/corpus --index-dir .cache/polnear --no-progress
	$(BIN)/assistant eval $(SHARED)/benchmarks/polnear/questions.jsonl --index-dir .cache/polnear \
	  --report $(REPORTS)/polnear.json
	$(BIN)/assistant eval $(SHARED)/benchmarks/natural/questions.jsonl --index-dir .cache/polnear \
	  --report $(REPORTS)/natural.json

# Learned answer selection: rebuilds assistant/answer/models/selection.json and
# eval/reports/training.json from $(SHARED)/benchmarks (indexes and dumps cached in .cache/train).
train: install
	$(BIN)/assistant train --shared $(SHARED) --cache .cache/train --report $(REPORTS)/training.json

# Refresh the README screenshot (docs/screenshot.png) from a real browser session.
screenshot: install browser
	ASSISTANT_REFRESH_SCREENSHOT=1 $(BIN)/python -m pytest -q tests/interfaces/test_browser.py -k highlight

clean:
	rm -rf $(VENV) $(INDEX) .cache .pytest_cache
