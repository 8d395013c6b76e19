package expect

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/test/switchsim"
)

// This file is the monitoring centre's ground-truth check: cmd/lemf calls
// CheckLEMFDir (through hi/lemf's TruthChecker) when a run ends, or on an
// output directory afterwards ("lemf check"). The layout: the ground truth
// belongs to the simulator (test/switchsim), the expectation and the check
// to this package, which reads hi/lemf's output files; hi/lemf itself never
// imports test code, cmd/lemf (a test tool, not part of the gateway) joins
// the two.

// Files CheckLEMFDir writes next to lemf's outputs.
const (
	ExpectedFile = "expected.json" // the Expectation
	ReportFile   = "check.json"    // the Report
)

// LoadWarrants reads the warrant set a run used from path: a tdmtap config
// file (its warrants, number plan and content start) or a bare warrants
// file, whose number plan is numbering ("cc=44,intl=00,nat=0,area=20,
// nsn=9-10"; cc is required) and whose content start is contentStart
// ("anm" or "acm-inband"; empty: anm).
func LoadWarrants(path, numbering, contentStart string) (*warrant.Set, Options, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, Options{}, fmt.Errorf("expect: %w", err)
	}
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(b, &top); err != nil {
		return nil, Options{}, fmt.Errorf("expect: %s: %w", path, err)
	}
	if _, isConfig := top["node"]; isConfig {
		cfg, err := config.Load(path)
		if err != nil {
			return nil, Options{}, fmt.Errorf("expect: %w", err)
		}
		set, err := cfg.WarrantSet()
		if err != nil {
			return nil, Options{}, fmt.Errorf("expect: %w", err)
		}
		return set, Options{ContentOnACMInband: cfg.ContentStart == config.StartOnACMInband}, nil
	}
	ws, err := warrant.LoadFile(path)
	if err != nil {
		return nil, Options{}, fmt.Errorf("expect: %w", err)
	}
	plan, err := ParseNumbering(numbering)
	if err != nil {
		return nil, Options{}, err
	}
	set, errs := warrant.NewSet(plan, ws)
	if len(errs) > 0 {
		return nil, Options{}, fmt.Errorf("expect: warrants: %w", errors.Join(errs...))
	}
	var opt Options
	switch config.ContentStart(contentStart) {
	case "", config.StartOnANM:
	case config.StartOnACMInband:
		opt.ContentOnACMInband = true
	default:
		return nil, Options{}, fmt.Errorf("expect: content start %q: want anm or acm-inband", contentStart)
	}
	return set, opt, nil
}

// ParseNumbering parses a number plan written as comma-separated key=value
// pairs: cc (country code, required), intl (international prefix), nat
// (national prefix), area (area code), nsn (national significant number
// length, N or MIN-MAX).
func ParseNumbering(s string) (warrant.NumberPlan, error) {
	var p warrant.NumberPlan
	if s == "" {
		return p, errors.New("expect: a bare warrants file needs the number plan (--numbering cc=...,intl=...,nat=...)")
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return p, fmt.Errorf("expect: numbering %q: want key=value", kv)
		}
		switch k {
		case "cc":
			p.CountryCode = v
		case "intl":
			p.InternationalPrefix = v
		case "nat":
			p.NationalPrefix = v
		case "area":
			p.AreaCode = v
		case "nsn":
			lo, hi, _ := strings.Cut(v, "-")
			if hi == "" {
				hi = lo
			}
			var err1, err2 error
			p.NSNMin, err1 = strconv.Atoi(lo)
			p.NSNMax, err2 = strconv.Atoi(hi)
			if err1 != nil || err2 != nil {
				return p, fmt.Errorf("expect: numbering nsn %q: want N or MIN-MAX", v)
			}
		default:
			return p, fmt.Errorf("expect: numbering: unknown key %q (cc, intl, nat, area, nsn)", k)
		}
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("expect: numbering: %w", err)
	}
	return p, nil
}

// CheckLEMFDir checks what cmd/lemf wrote into dir against the expectation
// built from the ground truth and the warrant set: every intercept, its IRI
// record types, parties, direction and cause, and its content bit-exact
// (see Check; CC sequence numbers are the LEMF's own check), nothing for
// non-targets; the LEMF's own sequence, decoding and framing errors
// (summary.json) and any disagreement between the simulator and the
// warrants count as errors too. It writes ExpectedFile and ReportFile into
// dir.
func CheckLEMFDir(dir string, gt *switchsim.GroundTruth, set *warrant.Set, bopt Options, copt CheckOptions) (*Expectation, *Report, error) {
	obs, sum, err := FromLEMFDir(dir)
	if err != nil {
		return nil, nil, err
	}
	exp, err := Build(gt, set, bopt)
	if err != nil {
		return nil, nil, err
	}
	copt.NoCCSeq = true
	rep := Check(exp, obs, copt)
	for _, s := range sum.SeqErrors {
		rep.errorf("LEMF sequence check: %s", s)
	}
	if sum.DecodeErrors > 0 || sum.FramingErrors > 0 {
		rep.errorf("LEMF: %d undecodable PDUs, %d framing errors", sum.DecodeErrors, sum.FramingErrors)
	}
	for _, w := range exp.Warnings {
		rep.errorf("expectation: %s", w)
	}
	if err := exp.WriteFile(filepath.Join(dir, ExpectedFile)); err != nil {
		return nil, nil, err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("expect: encode report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ReportFile), append(b, '\n'), 0o644); err != nil {
		return nil, nil, fmt.Errorf("expect: %w", err)
	}
	return exp, rep, nil
}

// ReadReport reads a Report written by CheckLEMFDir.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("expect: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("expect: decode %s: %w", path, err)
	}
	return &r, nil
}
