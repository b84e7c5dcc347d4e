package web

// IdempotencyFingerprint exposes the request fingerprint to web_test.
var IdempotencyFingerprint = idempotencyFingerprint
