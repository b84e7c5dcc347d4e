package db

// PreparedStatements is how many statements prepared keeps for d (for tests).
func PreparedStatements(d *DB) int {
	n := 0
	d.stmts.Range(func(any, any) bool { n++; return true })
	return n
}
