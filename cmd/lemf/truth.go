package main

import (
	"fmt"
	"io"

	"github.com/tdmtap/tdmtap/hi/lemf"
	"github.com/tdmtap/tdmtap/test/expect"
	"github.com/tdmtap/tdmtap/test/switchsim"
)

// truthChecker is hi/lemf's TruthChecker over test/expect.
type truthChecker struct{}

func (truthChecker) CheckTruth(dir string, o lemf.TruthOptions, w io.Writer) (bool, error) {
	gt, err := switchsim.ReadTruth(o.Truth)
	if err != nil {
		return false, err
	}
	set, bopt, err := expect.LoadWarrants(o.Warrants, o.Numbering, o.ContentStart)
	if err != nil {
		return false, err
	}
	copt := expect.CheckOptions{HeadTolerance: o.HeadTolerance, TailTolerance: o.TailTolerance, MaxLossFill: o.MaxLossFill}
	// The flags' zero means none; Check's zero means its default.
	if copt.MaxLossFill == 0 {
		copt.MaxLossFill = -1
	}
	if copt.TailTolerance == 0 {
		copt.TailTolerance = 1
	}
	_, rep, err := expect.CheckLEMFDir(dir, gt, set, bopt, copt)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(w, "ground truth check (%s, %s):\n%s", o.Truth, o.Warrants, rep.Summary())
	return rep.OK(), nil
}
