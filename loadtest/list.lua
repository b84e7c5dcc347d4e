-- A signed-in page (the integrations list unless LOADTEST_PATH says
-- another); the session cookie comes from LOADTEST_COOKIE (a real sign-in
-- done by loadtest.sh with curl).
dofile(os.getenv("LOADTEST_DIR") .. "/report.lua")
wrk.headers["Cookie"] = os.getenv("LOADTEST_COOKIE")
wrk.path = os.getenv("LOADTEST_PATH") or "/integrations"
