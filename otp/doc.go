// Package otp holds airt's one-time-code rules and the sealing of secrets at rest.
//
// It covers four things, all pure functions or small value types so the store and the
// commands decide when to persist and what to print:
//
//   - TOTP (RFC 6238) with the parameters of the original service: SHA1, 6 digits, a
//     30-second step, a 160-bit secret. [Verify] accepts the current step plus or minus one,
//     never more, compares in constant time and refuses a step that was already accepted
//     (RFC 6238 §5.2): the caller keeps the highest accepted step per user ("last step", a
//     max-register that only goes up) and stores it in the same transaction as the check.
//   - A lock-out policy for failed TOTP attempts ([Attempts]), persisted by the store so it
//     holds across sessions (RFC 4226 §7.3).
//   - SMS one-time codes ([SMSChallenge]): six random digits kept only as a salted HMAC,
//     valid for [SMSValidity], dead after [SMSMaxFailures] wrong codes.
//   - Sealing ([Seal], [Open]): XChaCha20-Poly1305 with the per-store key, used for TOTP
//     secrets, pending SMS challenges and secrets in queued mutations, so the store file
//     alone reveals none of them (the key lives in the OS keyring, see credentials/).
//
// [QR] draws an otpauth URI as a terminal QR code with half-block characters.
//
// The package never prints, never reads the environment and never exits. Randomness comes
// from crypto/rand; the ...From variants take an io.Reader so tests can be deterministic.
// Time is always passed in by the caller.
package otp
