package psdu

import "io"

var errEOF = io.EOF
