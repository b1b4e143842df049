"""Files the scenarios put into their throwaway projects."""

# A project's own test script in no known runner's format: fails until app.txt says "fixed".
RUN_TESTS = """echo "running 1 test"
if grep -q fixed app.txt 2>/dev/null; then echo "1 passed"; exit 0; fi
echo "FAIL test_app: app.txt does not say fixed"
exit 1
"""
