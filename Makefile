# The two commands a fresh machine needs are in the README; these are shortcuts.
.PHONY: demo test bench

demo:
	go run ./cmd/dutywatch demo

test:
	./scripts/test

# End-to-end throughput against the floor (gunzip + JSON parse); FINDINGS=200000 for the full run.
FINDINGS ?= 100000
bench:
	go run ./bench -findings $(FINDINGS)
