package crm_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm/crmtest"
)

// A row deleted from a parent table makes Postgres look up its children by
// every foreign key that points at it: to cascade, to set null or to
// refuse. Without an index leading with the key's columns each look-up
// scans the child table, so deleting many parents is quadratic (a webhook
// endpoint with 33,000 messages took minutes to delete). The tables the
// code deletes from are read from the code itself, so a new DELETE is
// covered the day it is written, and followed through the cascades.
func TestEveryForeignKeyIntoADeletedTableIsIndexed(t *testing.T) {
	ctx := context.Background()
	db := crmtest.MustOpenDB(t)

	deleted := map[string]bool{}
	re := regexp.MustCompile(`(?i)DELETE\s+FROM\s+([a-z_]+)`)
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			deleted[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !deleted["webhook_messages"] || !deleted["outbox"] {
		t.Fatalf("the scan of the code found too little: %v", deleted)
	}

	type fk struct{ child, column, parent, onDelete, indexed string }
	rows, err := db.Pool.Query(ctx, `
		SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, c.confdeltype::text,
		       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid
		               AND (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] = c.conkey)::text
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f'`)
	if err != nil {
		t.Fatal(err)
	}
	var fks []fk
	for rows.Next() {
		var k fk
		if err := rows.Scan(&k.child, &k.column, &k.parent, &k.onDelete, &k.indexed); err != nil {
			t.Fatal(err)
		}
		fks = append(fks, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// A cascade deletes the children too: they are parents in their turn.
	for grew := true; grew; {
		grew = false
		for _, k := range fks {
			if deleted[k.parent] && k.onDelete == "c" && !deleted[k.child] {
				deleted[k.child], grew = true, true
			}
		}
	}
	var missing []string
	for _, k := range fks {
		if deleted[k.parent] && k.indexed != "true" {
			missing = append(missing, k.child+"."+k.column+" → "+k.parent)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("foreign key %s has no index leading with it, and rows of its parent are deleted", m)
	}
}
