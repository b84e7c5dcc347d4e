package db

// PreparedStatements is how many statements d keeps prepared (for tests).
func PreparedStatements(d *DB) int {
	d.stmts.mu.Lock()
	defer d.stmts.mu.Unlock()
	return len(d.stmts.m)
}
