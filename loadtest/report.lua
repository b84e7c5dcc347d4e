-- Shared wrk summary: one machine-readable line the load test script parses.
-- Any non-2xx/3xx answer counts as an error (wrk's errors.status).
function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("RESULT rps=%.1f p99_ms=%.2f p50_ms=%.2f requests=%d errors=%d status_errors=%d timeouts=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000, latency:percentile(50) / 1000,
    summary.requests, errors, e.status, e.timeout))
end
