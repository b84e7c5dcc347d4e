package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Node is a machine of a team that node API keys are issued for.
type Node struct {
	ID        string    `db:"id"`
	TeamID    string    `db:"team_id"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

// CreateNode inserts a node; ErrConflict when the team already has one of that name.
func (d *DB) CreateNode(ctx context.Context, n *Node, audit *AuditEvent) error {
	n.CreatedAt = d.now()
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO nodes (id, team_id, name, created_at) VALUES (?, ?, ?, ?)`), n.ID, n.TeamID, n.Name, n.CreatedAt)
		if err != nil {
			return fmt.Errorf("db: insert node: %w", mapErr(err))
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// NodeByID returns a node.
func (d *DB) NodeByID(ctx context.Context, id string) (*Node, error) {
	var n Node
	if err := d.x.GetContext(ctx, &n, d.q(`SELECT id, team_id, name, created_at FROM nodes WHERE id = ?`), id); err != nil {
		return nil, fmt.Errorf("db: node by id: %w", mapErr(err))
	}
	return &n, nil
}

// ListNodesLimit is ListNodes reading at most limit nodes (by name) and,
// when there are more, how many there are in all (total is len(nodes)
// otherwise).
func (d *DB) ListNodesLimit(ctx context.Context, teamID string, limit int) (nodes []Node, total int, err error) {
	if err := d.x.SelectContext(ctx, &nodes, d.q(`SELECT id, team_id, name, created_at FROM nodes WHERE team_id = ? ORDER BY name LIMIT ?`), teamID, limit+1); err != nil {
		return nil, 0, fmt.Errorf("db: list nodes: %w", err)
	}
	if len(nodes) <= limit {
		return nodes, len(nodes), nil
	}
	if err := d.x.GetContext(ctx, &total, d.q(`SELECT COUNT(*) FROM nodes WHERE team_id = ?`), teamID); err != nil {
		return nil, 0, fmt.Errorf("db: count nodes: %w", err)
	}
	return nodes[:limit], total, nil
}

// ListNodes returns a team's nodes by name.
func (d *DB) ListNodes(ctx context.Context, teamID string) ([]Node, error) {
	var out []Node
	if err := d.x.SelectContext(ctx, &out, d.q(`SELECT id, team_id, name, created_at FROM nodes WHERE team_id = ? ORDER BY name`), teamID); err != nil {
		return nil, fmt.Errorf("db: list nodes: %w", err)
	}
	return out, nil
}
