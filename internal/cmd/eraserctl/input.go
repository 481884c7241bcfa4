// Reading account ids for submit: one per line, or one CSV column.

package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/attr-eraser/attr-eraser/internal/erasure"
)

// badLine is an input line that holds no valid account. reason never
// quotes the line: it may be an account id with a typo.
type badLine struct {
	line   int
	reason string
}

// input is what submit read: the valid accounts, sorted and without
// repeats, and what it left out.
type input struct {
	accounts   []string
	lines      int // lines read, blank ones included
	duplicates int // valid accounts seen before
	invalid    []badLine
}

// readAccounts reads accounts from r: one per line when column is "", else
// the column of a CSV file named by its header (or, as a number from 1,
// by position, with no header). Blank lines and blank cells are skipped.
// Each account is checked as the message contract checks it, so that no
// message is refused for one bad line.
func readAccounts(r io.Reader, column string) (*input, error) {
	in := &input{}
	seen := map[string]struct{}{}
	add := func(line int, a string) {
		if a == "" {
			return
		}
		if err := erasure.ValidAccount(a); err != nil {
			in.invalid = append(in.invalid, badLine{line, erasure.Reason(err)})
			return
		}
		if _, dup := seen[a]; dup {
			in.duplicates++
			return
		}
		seen[a] = struct{}{}
		in.accounts = append(in.accounts, a)
	}
	var err error
	if column == "" {
		err = readInputLines(r, in, add)
	} else {
		err = readCSV(r, column, in, add)
	}
	if err != nil {
		return nil, err
	}
	// Sorted, so that chunks, and so eventIds, depend on the set of
	// accounts rather than on the order of the file.
	slices.Sort(in.accounts)
	return in, nil
}

// readInputLines calls add for every line of r, without its line break. Other
// whitespace is kept: a space is a valid character of a UserID.
func readInputLines(r io.Reader, in *input, add func(int, string)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			in.lines++
			add(in.lines, strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readCSV calls add for the column's cell of every record of r.
func readCSV(r io.Reader, column string, in *input, add func(int, string)) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a short row is reported, not fatal
	cr.ReuseRecord = true
	index, err := strconv.Atoi(column)
	byName := err != nil
	if !byName && index < 1 {
		return fmt.Errorf("-column %s: columns count from 1", column)
	}
	index--
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// Its text quotes no field, only where and what.
				return fmt.Errorf("CSV line %d: %v", pe.Line, pe.Err)
			}
			return err
		}
		line, _ := cr.FieldPos(0)
		in.lines = line
		if byName {
			// The header names the column; it is not an account.
			index = slices.Index(rec, column)
			if index < 0 {
				return fmt.Errorf("-column %q: no such column in the header (line %d)", column, line)
			}
			byName = false
			continue
		}
		if index >= len(rec) {
			in.invalid = append(in.invalid, badLine{line, fmt.Sprintf("has %d columns, no column %d", len(rec), index+1)})
			continue
		}
		add(line, rec[index])
	}
}
