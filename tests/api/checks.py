"""checks.py - what every API test program prints: "ok NAME" or "FAIL NAME: why" for each
check, and at the end one line "N passed, N failed" (scripts/test.sh adds those up)."""

passed = 0
failed = 0


def ok(name):
    global passed
    passed += 1
    print(f"ok   {name}", flush=True)


def ko(name, why):
    global failed
    failed += 1
    print(f"FAIL {name}: {why}", flush=True)


def check(name, cond, why=""):
    if cond:
        ok(name)
    else:
        ko(name, why)


def summary():
    """The closing line."""
    return f"{passed} passed, {failed} failed"


def done():
    """Prints the closing line; the program's exit status (0 when nothing failed)."""
    print(summary(), flush=True)
    return 0 if failed == 0 else 1
