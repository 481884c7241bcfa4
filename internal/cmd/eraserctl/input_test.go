package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestReadAccounts(t *testing.T) {
	tooLong := strings.Repeat("x", 33)
	tests := []struct {
		name, input, column string
		accounts            []string
		lines, duplicates   int
		invalid             []badLine
		wantErr             string
	}{
		{name: "lines, sorted and deduplicated", input: "u3\r\nu1\n\nu2\nu1\nuser 4\n",
			accounts: []string{"u1", "u2", "u3", "user 4"}, lines: 6, duplicates: 1},
		{name: "no final line break", input: "b\na", accounts: []string{"a", "b"}, lines: 2},
		{name: "invalid lines by number", input: "ok\n" + tooLong + "\nbad\x01\nfine\n",
			accounts: []string{"fine", "ok"}, lines: 4,
			invalid: []badLine{{2, "33 bytes, at most 32"}, {3, "byte 0x01 at offset 3 is not printable ASCII"}}},
		{name: "CSV by header name", column: "user_id", input: "id,user_id,deleted\n1,u2,2020\n2,\"u,1\",2021\n3,,2022\n4,u2,2023\n",
			accounts: []string{"u,1", "u2"}, lines: 5, duplicates: 1},
		{name: "CSV by number, no header", column: "2", input: "1,u2\n2,u1\n3\n",
			accounts: []string{"u1", "u2"}, lines: 3, invalid: []badLine{{3, "has 1 columns, no column 2"}}},
		{name: "CSV invalid cell", column: "1", input: "u1\n" + tooLong + "\n", accounts: []string{"u1"}, lines: 2,
			invalid: []badLine{{2, "33 bytes, at most 32"}}},
		{name: "CSV unknown column", column: "uid", input: "id,user\n1,u1\n", wantErr: `no such column`},
		{name: "CSV column 0", column: "0", input: "u1\n", wantErr: "columns count from 1"},
		{name: "CSV broken quote", column: "1", input: "u1\n\"u2\n", wantErr: "CSV line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := readAccounts(strings.NewReader(tt.input), tt.column)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(in.accounts, tt.accounts) || in.lines != tt.lines || in.duplicates != tt.duplicates ||
				fmt.Sprint(in.invalid) != fmt.Sprint(tt.invalid) {
				t.Errorf("got accounts %q, %d lines, %d repeats, invalid %v\nwant %q, %d, %d, %v",
					in.accounts, in.lines, in.duplicates, in.invalid, tt.accounts, tt.lines, tt.duplicates, tt.invalid)
			}
			for _, b := range in.invalid {
				if strings.Contains(b.reason, tooLong) || strings.Contains(b.reason, "bad") {
					t.Errorf("reason quotes the line: %q", b.reason)
				}
			}
		})
	}
}
