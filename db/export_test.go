package db

// PreparedStatements is how many statements d keeps prepared (for tests).
func PreparedStatements(d *DB) int {
	d.stmts.mu.Lock()
	defer d.stmts.mu.Unlock()
	return len(d.stmts.m)
}

// ListQueryForTest is the statement ListIntegrationSummaries runs for f.
func ListQueryForTest(d *DB, f IntegrationFilter) (string, []any, error) {
	q, args, _, _, err := d.listQuery(summarySelect(d), f)
	return q, args, err
}
