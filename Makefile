# Convenience wrappers; the scripts are the source of truth (they need only bash on a fresh machine).
.PHONY: run test test-fast test-sanitize
run:
	./scripts/run
test:
	./scripts/test
test-fast:
	./scripts/test --fast
test-sanitize:
	./scripts/test --sanitize
