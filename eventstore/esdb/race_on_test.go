//go:build race

package esdb_test

const raceEnabled = true
