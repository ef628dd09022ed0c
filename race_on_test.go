//go:build race

package main

// raceDetector is set when the tests run under the race detector, which
// multiplies memory use (5-10× by its documentation): memory bounds measured
// on normal builds say nothing there.
const raceDetector = true
