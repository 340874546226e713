# Entry points; the README documents each. Every target installs what it needs.
.PHONY: setup test demo bench fuzz

setup:
	./scripts/setup.sh

test:
	./scripts/test.sh

demo:
	./scripts/demo.sh

bench:
	./scripts/bench.sh

fuzz:
	./scripts/fuzz.sh
