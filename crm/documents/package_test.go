package documents

import "testing"

func TestCheckPackage(t *testing.T) {
	if errs := CheckPackage("documents.package", []string{"invoice", "waybill", "invoice"}); len(errs) != 2 {
		t.Errorf("package: %v", errs)
	}
	if errs := CheckPackage("documents.package", DefaultPackage); len(errs) != 0 {
		t.Errorf("the default package: %v", errs)
	}
}
