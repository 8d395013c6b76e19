// Package x1 is the provisioning face of the intercept plane: a subset of
// ETSI TS 103 221-1 (X1) over HTTPS with mutual TLS 1.3, every command
// additionally signed (hi/hi1/sign).
//
// Messages: ActivateTask, ModifyTask, DeactivateTask, GetTaskDetails,
// ListAllDetails, CreateDestination, RemoveDestination, Ping. One
// x1RequestMessage per X1Request (others are refused). Documents use the
// X1 namespace http://uri.etsi.org/03221/X1/2017/10, the message type in
// xsi:type, and the schema's element names and order:
//
//	<X1Request xmlns="http://uri.etsi.org/03221/X1/2017/10" xmlns:xsi=…>
//	  <x1RequestMessage xsi:type="ActivateTaskRequest">
//	    <admfIdentifier/> <neIdentifier/> <messageTimestamp/> <version/> <x1TransactionId/>
//	    <taskDetails>
//	      <xId>UUID</xId>
//	      <targetIdentifiers><targetIdentifier><e164Number>442079460001</e164Number></targetIdentifier></targetIdentifiers>
//	      <deliveryType>X2Only | X2andX3</deliveryType>
//	      <listOfDIDs><dId>UUID</dId></listOfDIDs>
//	      <listOfMediationDetails><mediationDetails>
//	        <LIID>…</LIID> <deliveryType>HI2Only | HI2andHI3</deliveryType>
//	        <StartTime>RFC 3339</StartTime> <EndTime>RFC 3339</EndTime>
//	      </mediationDetails></listOfMediationDetails>
//	      <taskDetailsExtensions><Owner>tdmtap</Owner>
//	        <t:numberRoles xmlns:t="urn:tdmtap:x1:ext:1">calling called …</t:numberRoles>
//	      </taskDetailsExtensions>
//	    </taskDetails>
//
// Mapping to warrants: the X1 xId (a UUID) names the task; the LIID, the
// validity window (StartTime, EndTime) come from the task's (single)
// mediationDetails, which is where TS 103 221-1 carries them; X2Only means
// IRI only and X2andX3 IRI and content (X3Only is refused: content needs its
// IRI). Number roles (which call parties count) have no X1 element and ride
// in a taskDetailsExtensions with Owner "tdmtap"; absent, every role counts.
// A destination's friendlyName must name a LEMF destination of the
// configuration: delivery sessions come from the configuration, X1 only
// points tasks at them.
//
// Errors are ErrorResponse (requestMessageType, errorInformation {errorCode,
// errorDescription}) with TS 103 221-1 error codes; a body that is not an
// X1Request gets an X1TopLevelErrorResponse. Signature refusals are
// ErrorResponse code 1000 with the reason in the description.
package x1

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Namespaces.
const (
	NS       = "http://uri.etsi.org/03221/X1/2017/10"
	NSXSI    = "http://www.w3.org/2001/XMLSchema-instance"
	NSCommon = "http://uri.etsi.org/03280/common/2017/07"
	NSExt    = "urn:tdmtap:x1:ext:1"
	ExtOwner = "tdmtap"
	Version  = "v1.6.1"
)

// Request message types.
const (
	ActivateTask      = "ActivateTaskRequest"
	ModifyTask        = "ModifyTaskRequest"
	DeactivateTask    = "DeactivateTaskRequest"
	GetTaskDetails    = "GetTaskDetailsRequest"
	ListAllDetails    = "ListAllDetailsRequest"
	CreateDestination = "CreateDestinationRequest"
	RemoveDestination = "RemoveDestinationRequest"
	Ping              = "PingRequest"
)

// ResponseType returns the response type of a request type.
func ResponseType(req string) string {
	return strings.TrimSuffix(req, "Request") + "Response"
}

// Error codes (TS 103 221-1 error code table).
const (
	ErrGeneric                       = 1000
	ErrSyntax                        = 1010
	ErrUnsupportedVersion            = 1020
	ErrUnexpectedADMF                = 1040
	ErrUnexpectedNE                  = 1060
	ErrUnsupportedRequest            = 1080
	ErrXIDExists                     = 2010
	ErrXIDNotFound                   = 2020
	ErrDIDExists                     = 2030
	ErrDIDNotFound                   = 2040
	ErrActivateFailure               = 3000
	ErrModifyFailure                 = 3001
	ErrUnsupportedTarget             = 3010
	ErrInvalidDeliveryAndDestination = 3040
	ErrDeactivateFailure             = 4000
	ErrCreateDestinationFailure      = 6000
	ErrUnsupportedAddress            = 6020
	ErrRemoveDestinationFailure      = 7000
	ErrDestinationInUse              = 7010
)

// OK values.
const (
	OKCompleted    = "AcknowledgedAndCompleted"
	OKAcknowledged = "Acknowledged" // accepted, not yet in effect (awaiting a second signature)
)

// Delivery types.
const (
	X2Only  = "X2Only"
	X3Only  = "X3Only"
	X2andX3 = "X2andX3"
)

// Target is one targetIdentifier. Only e164Number is supported; Other
// holds the element name of any other kind.
type Target struct {
	E164  string
	Other string
}

// Mediation is one mediationDetails.
type Mediation struct {
	LIID         string
	DeliveryType string
	Start, End   string // xs:dateTime text
}

// TaskDetails is taskDetails.
type TaskDetails struct {
	XID          string
	Targets      []Target
	DeliveryType string
	DIDs         []string
	Mediation    []Mediation
	NumberRoles  string // tdmtap extension: role names separated by spaces
	UnknownExt   []string
}

// Address is a deliveryAddress: ipAddressAndPort or uri.
type Address struct {
	IP, Port string
	URI      string
}

func (a Address) String() string {
	if a.URI != "" {
		return a.URI
	}
	if a.IP == "" {
		return ""
	}
	if strings.Contains(a.IP, ":") {
		return "[" + a.IP + "]:" + a.Port
	}
	return a.IP + ":" + a.Port
}

// DestinationDetails is destinationDetails.
type DestinationDetails struct {
	DID          string
	FriendlyName string
	DeliveryType string
	Address      Address
}

// Envelope is the header common to requests and responses.
type Envelope struct {
	ADMF, NE      string
	Timestamp     string
	Version       string
	TransactionID string
}

// Request is one parsed x1RequestMessage.
type Request struct {
	Type string
	Envelope
	Task        *TaskDetails        // Activate, Modify
	XID         string              // Deactivate, GetTaskDetails
	Destination *DestinationDetails // CreateDestination
	DID         string              // RemoveDestination
}

// TaskStatus is taskStatus.
type TaskStatus struct {
	ProvisioningStatus string
	LastModification   string
	Modifications      int
}

// Response is one x1ResponseMessage (or a top-level error).
type Response struct {
	Type string
	Envelope
	TopLevelError      bool
	OK                 string
	RequestMessageType string
	ErrorCode          int
	ErrorDescription   string
	Task               *TaskDetails
	Status             *TaskStatus
	XIDs, DIDs         []string
}

// Err returns the response's error as an error (nil for success).
func (r *Response) Err() error {
	if r.TopLevelError || r.ErrorCode != 0 || strings.HasSuffix(r.Type, "ErrorResponse") {
		return &X1Error{Code: r.ErrorCode, Desc: r.ErrorDescription}
	}
	return nil
}

// X1Error is an error response.
type X1Error struct {
	Code int
	Desc string
}

func (e *X1Error) Error() string { return fmt.Sprintf("X1 error %d: %s", e.Code, e.Desc) }

// --- decoding ---

type xAny struct {
	XMLName xml.Name
	Inner   string `xml:",chardata"`
}

type xTarget struct {
	E164   string `xml:"e164Number"`
	Others []xAny `xml:",any"`
}

type xMediation struct {
	LIID         string `xml:"LIID"`
	DeliveryType string `xml:"deliveryType"`
	Start        string `xml:"StartTime"`
	End          string `xml:"EndTime"`
}

type xExt struct {
	Owner string `xml:"Owner"`
	Roles *struct {
		XMLName xml.Name
		Text    string `xml:",chardata"`
	} `xml:"urn:tdmtap:x1:ext:1 numberRoles"`
	Others []xAny `xml:",any"`
}

type xTask struct {
	XID          string       `xml:"xId"`
	Targets      []xTarget    `xml:"targetIdentifiers>targetIdentifier"`
	DeliveryType string       `xml:"deliveryType"`
	DIDs         []string     `xml:"listOfDIDs>dId"`
	Mediation    []xMediation `xml:"listOfMediationDetails>mediationDetails"`
	Ext          []xExt       `xml:"taskDetailsExtensions"`
}

type xAddr struct {
	IP   []string `xml:"ipAddressAndPort>address>IPv4Address"`
	IP6  []string `xml:"ipAddressAndPort>address>IPv6Address"`
	TCP  string   `xml:"ipAddressAndPort>port>TCPPort"`
	UDP  string   `xml:"ipAddressAndPort>port>UDPPort"`
	URI  string   `xml:"uri"`
	Anys []xAny   `xml:",any"`
}

type xDest struct {
	DID          string `xml:"dId"`
	FriendlyName string `xml:"friendlyName"`
	DeliveryType string `xml:"deliveryType"`
	Address      *xAddr `xml:"deliveryAddress"`
}

type xEnvelope struct {
	Type      string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
	ADMF      string `xml:"admfIdentifier"`
	NE        string `xml:"neIdentifier"`
	Timestamp string `xml:"messageTimestamp"`
	Version   string `xml:"version"`
	TxID      string `xml:"x1TransactionId"`
}

type xReqMsg struct {
	xEnvelope
	Task *xTask `xml:"taskDetails"`
	XID  string `xml:"xId"`
	Dest *xDest `xml:"destinationDetails"`
	DID  string `xml:"dId"`
}

type xRequest struct {
	XMLName  xml.Name
	Messages []xReqMsg `xml:"x1RequestMessage"`
}

type xStatus struct {
	Prov string `xml:"provisioningStatus"`
	Last string `xml:"timeOfLastModification"`
	Mods string `xml:"numberOfModifications"`
}

type xRespMsg struct {
	xEnvelope
	OK      string   `xml:"oK"`
	ReqType string   `xml:"requestMessageType"`
	Code    string   `xml:"errorInformation>errorCode"`
	Desc    string   `xml:"errorInformation>errorDescription"`
	Task    *xTask   `xml:"taskResponseDetails>taskDetails"`
	Status  *xStatus `xml:"taskResponseDetails>taskStatus"`
	XIDs    []string `xml:"ListOfXIDs>xId"`
	DIDs    []string `xml:"ListOfDIDs>dId"`
}

type xResponse struct {
	XMLName  xml.Name
	Messages []xRespMsg `xml:"x1ResponseMessage"`
	// X1TopLevelErrorResponse fields
	xEnvelope
	Code string `xml:"errorInformation>errorCode"`
	Desc string `xml:"errorInformation>errorDescription"`
}

// MaxDocument is the largest document accepted.
const MaxDocument = 1 << 20

// ParseError is a document that is not a usable X1Request.
type ParseError struct{ Msg string }

func (e *ParseError) Error() string { return "X1: " + e.Msg }

func decoder(b []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = nil // only UTF-8
	return d
}

// ParseRequest parses an X1Request document holding exactly one
// x1RequestMessage. Errors are *ParseError.
func ParseRequest(b []byte) (*Request, error) {
	if len(b) > MaxDocument {
		return nil, &ParseError{"document too large"}
	}
	var x xRequest
	if err := decoder(b).Decode(&x); err != nil {
		return nil, &ParseError{"not well-formed XML: " + err.Error()}
	}
	if x.XMLName.Local != "X1Request" || x.XMLName.Space != NS {
		return nil, &ParseError{fmt.Sprintf("root element is {%s}%s, want {%s}X1Request", x.XMLName.Space, x.XMLName.Local, NS)}
	}
	if len(x.Messages) != 1 {
		return nil, &ParseError{fmt.Sprintf("%d x1RequestMessage elements; exactly one is supported", len(x.Messages))}
	}
	m := &x.Messages[0]
	r := &Request{
		Type:     localType(m.Type),
		Envelope: envelope(&m.xEnvelope),
		XID:      strings.TrimSpace(m.XID),
		DID:      strings.TrimSpace(m.DID),
	}
	if r.Type == "" {
		return nil, &ParseError{"x1RequestMessage has no xsi:type"}
	}
	if m.Task != nil {
		r.Task = taskFromX(m.Task)
	}
	if m.Dest != nil {
		r.Destination = destFromX(m.Dest)
	}
	return r, nil
}

func localType(t string) string {
	t = strings.TrimSpace(t)
	if i := strings.LastIndexByte(t, ':'); i >= 0 {
		t = t[i+1:]
	}
	return t
}

func envelope(e *xEnvelope) Envelope {
	return Envelope{
		ADMF: strings.TrimSpace(e.ADMF), NE: strings.TrimSpace(e.NE), Timestamp: strings.TrimSpace(e.Timestamp),
		Version: strings.TrimSpace(e.Version), TransactionID: strings.TrimSpace(e.TxID),
	}
}

func taskFromX(x *xTask) *TaskDetails {
	t := &TaskDetails{XID: strings.TrimSpace(x.XID), DeliveryType: strings.TrimSpace(x.DeliveryType)}
	for _, xt := range x.Targets {
		tg := Target{E164: strings.TrimSpace(xt.E164)}
		for _, o := range xt.Others {
			if o.XMLName.Local != "e164Number" {
				tg.Other = o.XMLName.Local
			}
		}
		t.Targets = append(t.Targets, tg)
	}
	for _, d := range x.DIDs {
		t.DIDs = append(t.DIDs, strings.TrimSpace(d))
	}
	for _, m := range x.Mediation {
		t.Mediation = append(t.Mediation, Mediation{
			LIID: strings.TrimSpace(m.LIID), DeliveryType: strings.TrimSpace(m.DeliveryType),
			Start: strings.TrimSpace(m.Start), End: strings.TrimSpace(m.End),
		})
	}
	for _, e := range x.Ext {
		if strings.TrimSpace(e.Owner) == ExtOwner && e.Roles != nil {
			t.NumberRoles = strings.Join(strings.Fields(e.Roles.Text), " ")
		} else {
			t.UnknownExt = append(t.UnknownExt, strings.TrimSpace(e.Owner))
		}
	}
	return t
}

func destFromX(x *xDest) *DestinationDetails {
	d := &DestinationDetails{DID: strings.TrimSpace(x.DID), FriendlyName: strings.TrimSpace(x.FriendlyName),
		DeliveryType: strings.TrimSpace(x.DeliveryType)}
	if a := x.Address; a != nil {
		switch {
		case len(a.IP) > 0:
			d.Address.IP = strings.TrimSpace(a.IP[0])
		case len(a.IP6) > 0:
			d.Address.IP = strings.TrimSpace(a.IP6[0])
		}
		d.Address.Port = strings.TrimSpace(a.TCP)
		if d.Address.Port == "" {
			d.Address.Port = strings.TrimSpace(a.UDP)
		}
		d.Address.URI = strings.TrimSpace(a.URI)
	}
	return d
}

// ParseResponse parses an X1Response (one message) or an
// X1TopLevelErrorResponse.
func ParseResponse(b []byte) (*Response, error) {
	if len(b) > MaxDocument {
		return nil, errors.New("X1: response too large")
	}
	var x xResponse
	if err := decoder(b).Decode(&x); err != nil {
		return nil, fmt.Errorf("X1: response not well-formed: %w", err)
	}
	switch x.XMLName.Local {
	case "X1TopLevelErrorResponse":
		code, _ := strconv.Atoi(strings.TrimSpace(x.Code))
		return &Response{Type: "X1TopLevelErrorResponse", TopLevelError: true, Envelope: envelope(&x.xEnvelope),
			ErrorCode: code, ErrorDescription: strings.TrimSpace(x.Desc)}, nil
	case "X1Response":
	default:
		return nil, fmt.Errorf("X1: unexpected response root %s", x.XMLName.Local)
	}
	if len(x.Messages) != 1 {
		return nil, fmt.Errorf("X1: response has %d messages, want 1", len(x.Messages))
	}
	m := &x.Messages[0]
	r := &Response{Type: localType(m.Type), Envelope: envelope(&m.xEnvelope), OK: strings.TrimSpace(m.OK),
		RequestMessageType: strings.TrimSpace(m.ReqType), ErrorDescription: strings.TrimSpace(m.Desc),
		XIDs: trimAll(m.XIDs), DIDs: trimAll(m.DIDs)}
	if c := strings.TrimSpace(m.Code); c != "" {
		r.ErrorCode, _ = strconv.Atoi(c)
	}
	if m.Task != nil {
		r.Task = taskFromX(m.Task)
	}
	if m.Status != nil {
		n, _ := strconv.Atoi(strings.TrimSpace(m.Status.Mods))
		r.Status = &TaskStatus{ProvisioningStatus: strings.TrimSpace(m.Status.Prov), LastModification: strings.TrimSpace(m.Status.Last), Modifications: n}
	}
	return r, nil
}

func trimAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// --- encoding ---

type xw struct{ b bytes.Buffer }

func (w *xw) open(name string)  { w.b.WriteByte('<'); w.b.WriteString(name); w.b.WriteByte('>') }
func (w *xw) close(name string) { w.b.WriteString("</"); w.b.WriteString(name); w.b.WriteByte('>') }
func (w *xw) text(name, v string) {
	w.open(name)
	xml.EscapeText(&w.b, []byte(v)) //nolint:errcheck // bytes.Buffer does not fail
	w.close(name)
}

func (w *xw) envelope(e *Envelope) {
	w.text("admfIdentifier", e.ADMF)
	w.text("neIdentifier", e.NE)
	w.text("messageTimestamp", e.Timestamp)
	w.text("version", e.Version)
	w.text("x1TransactionId", e.TransactionID)
}

func (w *xw) task(t *TaskDetails) {
	w.open("taskDetails")
	w.text("xId", t.XID)
	w.open("targetIdentifiers")
	for _, tg := range t.Targets {
		w.open("targetIdentifier")
		w.text("e164Number", tg.E164)
		w.close("targetIdentifier")
	}
	w.close("targetIdentifiers")
	w.text("deliveryType", t.DeliveryType)
	w.open("listOfDIDs")
	for _, d := range t.DIDs {
		w.text("dId", d)
	}
	w.close("listOfDIDs")
	if len(t.Mediation) > 0 {
		w.open("listOfMediationDetails")
		for _, m := range t.Mediation {
			w.open("mediationDetails")
			w.text("LIID", m.LIID)
			w.text("deliveryType", m.DeliveryType)
			if m.Start != "" {
				w.text("StartTime", m.Start)
			}
			if m.End != "" {
				w.text("EndTime", m.End)
			}
			w.close("mediationDetails")
		}
		w.close("listOfMediationDetails")
	}
	if t.NumberRoles != "" {
		w.open("taskDetailsExtensions")
		w.text("Owner", ExtOwner)
		w.b.WriteString(`<t:numberRoles xmlns:t="` + NSExt + `">`)
		xml.EscapeText(&w.b, []byte(t.NumberRoles)) //nolint:errcheck
		w.b.WriteString(`</t:numberRoles>`)
		w.close("taskDetailsExtensions")
	}
	w.close("taskDetails")
}

func (w *xw) destination(d *DestinationDetails) {
	w.open("destinationDetails")
	w.text("dId", d.DID)
	if d.FriendlyName != "" {
		w.text("friendlyName", d.FriendlyName)
	}
	w.text("deliveryType", d.DeliveryType)
	w.open("deliveryAddress")
	switch {
	case d.Address.URI != "":
		w.text("uri", d.Address.URI)
	case d.Address.IP != "":
		w.b.WriteString(`<ipAddressAndPort><c:address xmlns:c="` + NSCommon + `">`)
		el := "c:IPv4Address"
		if strings.Contains(d.Address.IP, ":") {
			el = "c:IPv6Address"
		}
		w.text(el, d.Address.IP)
		w.b.WriteString(`</c:address><c:port xmlns:c="` + NSCommon + `">`)
		w.text("c:TCPPort", d.Address.Port)
		w.b.WriteString(`</c:port></ipAddressAndPort>`)
	}
	w.close("deliveryAddress")
	w.close("destinationDetails")
}

const xmlHead = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// EncodeRequest writes r as an X1Request document.
func EncodeRequest(r *Request) []byte {
	var w xw
	w.b.WriteString(xmlHead)
	w.b.WriteString(`<X1Request xmlns="` + NS + `" xmlns:xsi="` + NSXSI + `">`)
	w.b.WriteString(`<x1RequestMessage xsi:type="`)
	xml.EscapeText(&w.b, []byte(r.Type)) //nolint:errcheck
	w.b.WriteString(`">`)
	w.envelope(&r.Envelope)
	switch {
	case r.Task != nil:
		w.task(r.Task)
	case r.Destination != nil:
		w.destination(r.Destination)
	case r.XID != "":
		w.text("xId", r.XID)
	case r.DID != "":
		w.text("dId", r.DID)
	}
	w.b.WriteString(`</x1RequestMessage></X1Request>`)
	return w.b.Bytes()
}

// EncodeResponse writes r as an X1Response document (or, when
// r.TopLevelError, an X1TopLevelErrorResponse).
func EncodeResponse(r *Response) []byte {
	var w xw
	w.b.WriteString(xmlHead)
	if r.TopLevelError {
		w.b.WriteString(`<X1TopLevelErrorResponse xmlns="` + NS + `">`)
		w.envelope(&r.Envelope)
		w.open("errorInformation")
		w.text("errorCode", strconv.Itoa(r.ErrorCode))
		w.text("errorDescription", r.ErrorDescription)
		w.close("errorInformation")
		w.b.WriteString(`</X1TopLevelErrorResponse>`)
		return w.b.Bytes()
	}
	w.b.WriteString(`<X1Response xmlns="` + NS + `" xmlns:xsi="` + NSXSI + `">`)
	w.b.WriteString(`<x1ResponseMessage xsi:type="`)
	xml.EscapeText(&w.b, []byte(r.Type)) //nolint:errcheck
	w.b.WriteString(`">`)
	w.envelope(&r.Envelope)
	switch {
	case r.Type == "ErrorResponse":
		w.text("requestMessageType", r.RequestMessageType)
		w.open("errorInformation")
		w.text("errorCode", strconv.Itoa(r.ErrorCode))
		w.text("errorDescription", r.ErrorDescription)
		w.close("errorInformation")
	case r.Task != nil:
		w.open("taskResponseDetails")
		w.task(r.Task)
		w.open("taskStatus")
		st := r.Status
		if st == nil {
			st = &TaskStatus{}
		}
		w.text("provisioningStatus", st.ProvisioningStatus)
		w.b.WriteString("<listOfFaults></listOfFaults>")
		if st.LastModification != "" {
			w.text("timeOfLastModification", st.LastModification)
		}
		w.text("numberOfModifications", strconv.Itoa(st.Modifications))
		w.close("taskStatus")
		w.close("taskResponseDetails")
	case r.Type == ResponseType(ListAllDetails):
		w.open("ListOfXIDs")
		for _, x := range r.XIDs {
			w.text("xId", x)
		}
		w.close("ListOfXIDs")
		w.open("ListOfDIDs")
		for _, d := range r.DIDs {
			w.text("dId", d)
		}
		w.close("ListOfDIDs")
	default:
		w.text("oK", r.OK)
	}
	w.b.WriteString(`</x1ResponseMessage></X1Response>`)
	return w.b.Bytes()
}

// Timestamp formats t as an X1 messageTimestamp (UTC, microseconds).
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
