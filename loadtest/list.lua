-- The signed-in integrations list page; the session cookie comes from
-- LOADTEST_COOKIE (a real sign-in done by loadtest.sh with curl).
dofile(os.getenv("LOADTEST_DIR") .. "/report.lua")
wrk.headers["Cookie"] = os.getenv("LOADTEST_COOKIE")
wrk.path = "/integrations"
