package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Team owns nodes, integrations and API tokens.
type Team struct {
	ID        string    `db:"id"`
	Slug      string    `db:"slug"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

// Member is a user of a team, for the team page.
type Member struct {
	UserID  string    `db:"user_id"`
	Email   string    `db:"email"`
	Role    string    `db:"role"`
	AddedAt time.Time `db:"created_at"`
}

// CreateTeam inserts a team; ErrConflict when the slug is taken.
func (d *DB) CreateTeam(ctx context.Context, t *Team, audit *AuditEvent) error {
	t.CreatedAt = d.now()
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO teams (id, slug, name, created_at) VALUES (?, ?, ?, ?)`), t.ID, t.Slug, t.Name, t.CreatedAt)
		if err != nil {
			return fmt.Errorf("db: insert team: %w", mapErr(err))
		}
		if err := d.insertDefaultEnvironments(ctx, tx, t.ID, t.CreatedAt); err != nil {
			return err
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// TeamByID returns a team.
func (d *DB) TeamByID(ctx context.Context, id string) (*Team, error) {
	var t Team
	if err := d.x.GetContext(ctx, &t, d.q(`SELECT id, slug, name, created_at FROM teams WHERE id = ?`), id); err != nil {
		return nil, fmt.Errorf("db: team by id: %w", mapErr(err))
	}
	return &t, nil
}

// TeamBySlug returns a team by its slug.
func (d *DB) TeamBySlug(ctx context.Context, slug string) (*Team, error) {
	var t Team
	if err := d.x.GetContext(ctx, &t, d.q(`SELECT id, slug, name, created_at FROM teams WHERE slug = ?`), slug); err != nil {
		return nil, fmt.Errorf("db: team by slug: %w", mapErr(err))
	}
	return &t, nil
}

// ListTeams returns teams by name; with ids non-nil only those teams.
func (d *DB) ListTeams(ctx context.Context, ids []string) ([]Team, error) {
	var out []Team
	if ids == nil {
		if err := d.selectPrepared(ctx, &out, `SELECT id, slug, name, created_at FROM teams ORDER BY name, slug`); err != nil {
			return nil, fmt.Errorf("db: list teams: %w", err)
		}
		return out, nil
	}
	if len(ids) == 0 {
		return nil, nil
	}
	query, args, err := sqlx.In(`SELECT id, slug, name, created_at FROM teams WHERE id IN (?) ORDER BY name, slug`, ids)
	if err != nil {
		return nil, fmt.Errorf("db: list teams: %w", err)
	}
	if err := d.x.SelectContext(ctx, &out, d.q(query), args...); err != nil {
		return nil, fmt.Errorf("db: list teams: %w", err)
	}
	return out, nil
}

// AddMember adds a user to a team; ErrConflict when already a member.
func (d *DB) AddMember(ctx context.Context, teamID, userID string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := d.addMember(ctx, tx, teamID, userID, d.now()); err != nil {
			return err
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

func (d *DB) addMember(ctx context.Context, tx *sqlx.Tx, teamID, userID string, now time.Time) error {
	_, err := tx.ExecContext(ctx, d.q(`INSERT INTO team_members (team_id, user_id, created_at) VALUES (?, ?, ?)`), teamID, userID, now)
	if err != nil {
		return fmt.Errorf("db: add member: %w", mapErr(err))
	}
	return nil
}

// ListMembers returns the users of a team by email.
func (d *DB) ListMembers(ctx context.Context, teamID string) ([]Member, error) {
	var out []Member
	err := d.x.SelectContext(ctx, &out, d.q(`SELECT m.user_id, u.email, u.role, m.created_at
		FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = ? ORDER BY u.email`), teamID)
	if err != nil {
		return nil, fmt.Errorf("db: list members: %w", err)
	}
	return out, nil
}
