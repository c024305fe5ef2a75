package api

import "testing"

func TestFieldPointer(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"title":                 "/title",
		"opener.email":          "/opener/email",
		"recipients.1":          "/recipients/1",
		"opener.stakeholder_id": "/opener/stakeholder_id",
	} {
		if got := fieldPointer(in); got != want {
			t.Errorf("fieldPointer(%q) = %q, want %q", in, got, want)
		}
	}
	if got := jsonPointer([]string{"a/b~c", "0", ""}); got != "/a~1b~0c/0/" {
		t.Errorf("jsonPointer = %q", got)
	}
}
