// Command envoy-validate checks xDS resources against the protoc-gen-validate (PGV) rules of
// Envoy's API, the rules Envoy applies before it accepts configuration.
//
// It reads a stream of JSON objects on standard input, one per resource:
//
//	{"name": "sidecar Listener virtualInbound", "any": "<base64 of a serialized google.protobuf.Any>"}
//
// unpacks each with go-control-plane's Envoy types, runs ValidateAll, and does the same for every
// google.protobuf.Any nested in it (typed_config, api_listener, typed_per_filter_config, ...), at any
// depth: PGV's ValidateAll stops at an Any, Envoy does not. An Any whose type URL names no known
// type is itself a violation ("unknown extension type"), as Envoy rejects such configuration.
//
// It prints one line per violation,
//
//	VIOLATION <name> <field path>: <message>
//
// then (with -types) one line per message type checked, TYPE <full name> <count>, then a summary
// line, and exits 1 when there was any violation, 2 on unreadable input.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
)

type input struct {
	Name string `json:"name"`
	Any  string `json:"any"`
}

// violation is one broken rule: where (a proto field path from the resource's root) and why.
type violation struct {
	resource string
	path     string
	message  string
}

type checker struct {
	violations []violation
	messages   int // messages validated: resources plus every nested Any payload
	types      map[protoreflect.FullName]int
	resource   string
}

func (c *checker) add(path, message string) {
	c.violations = append(c.violations, violation{c.resource, path, message})
}

// checkAny unpacks an Any, validates its payload and everything nested in it.
func (c *checker) checkAny(a *anypb.Any, path string) {
	url := a.GetTypeUrl()
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(url)
	if err != nil {
		c.add(path, fmt.Sprintf("unknown extension type %q", url))
		return
	}
	m := mt.New().Interface()
	if err := proto.Unmarshal(a.GetValue(), m); err != nil {
		c.add(path, fmt.Sprintf("cannot unmarshal %s: %v", mt.Descriptor().FullName(), err))
		return
	}
	c.messages++
	c.types[mt.Descriptor().FullName()]++
	if v, ok := m.(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			c.flatten(err, mt.Descriptor(), path)
		}
	}
	c.walk(m.ProtoReflect(), path)
}

// walk finds the Any messages set anywhere in m and checks each.
func (c *checker) walk(m protoreflect.Message, path string) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := join(path, string(fd.Name()))
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() == nil {
				return true
			}
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				c.visit(mv.Message(), fmt.Sprintf("%s[%v]", p, k.Interface()))
				return true
			})
		case fd.Message() == nil:
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				c.visit(l.Get(i).Message(), fmt.Sprintf("%s[%d]", p, i))
			}
		default:
			c.visit(v.Message(), p)
		}
		return true
	})
}

func (c *checker) visit(m protoreflect.Message, path string) {
	if m.Descriptor().FullName() == "google.protobuf.Any" {
		a := &anypb.Any{}
		b, err := proto.Marshal(m.Interface())
		if err == nil {
			err = proto.Unmarshal(b, a)
		}
		if err != nil {
			c.add(path, "unreadable google.protobuf.Any: "+err.Error())
			return
		}
		c.checkAny(a, fmt.Sprintf("%s<%s>", path, shortName(a.GetTypeUrl())))
		return
	}
	c.walk(m, path)
}

// The errors PGV generates: one per field, with the nested message's errors as cause.
type fieldError interface {
	Field() string
	Reason() string
	Cause() error
}

type multiError interface{ AllErrors() []error }

var goField = regexp.MustCompile(`^([A-Za-z0-9_]+)(\[.*\])?$`)

// flatten turns PGV's error tree into violations whose paths use the proto field names.
func (c *checker) flatten(err error, md protoreflect.MessageDescriptor, path string) {
	if multi, ok := err.(multiError); ok {
		for _, e := range multi.AllErrors() {
			c.flatten(e, md, path)
		}
		return
	}
	fe, ok := err.(fieldError)
	if !ok {
		c.add(path, err.Error())
		return
	}
	p, nested := fieldPath(md, fe.Field())
	p = join(path, p)
	cause := fe.Cause()
	if cause != nil && (isField(cause) || isMulti(cause)) {
		c.flatten(cause, nested, p)
		return
	}
	msg := fe.Reason()
	if cause != nil {
		msg += ": " + cause.Error()
	}
	c.add(p, msg)
}

func isField(err error) bool { _, ok := err.(fieldError); return ok }
func isMulti(err error) bool { _, ok := err.(multiError); return ok }

// fieldPath maps PGV's Go field name ("FilterChains[0]") to the proto one ("filter_chains[0]") and
// returns the descriptor of the message that field holds, for the next segment.
func fieldPath(md protoreflect.MessageDescriptor, goName string) (string, protoreflect.MessageDescriptor) {
	m := goField.FindStringSubmatch(goName)
	if md == nil || m == nil {
		return goName, nil
	}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if goCamelCase(string(fd.Name())) != m[1] {
			continue
		}
		next := fd.Message()
		if fd.IsMap() {
			next = fd.MapValue().Message()
		}
		return string(fd.Name()) + m[2], next
	}
	return goName, nil
}

// goCamelCase is protoc-gen-go's name for a field (google.golang.org/protobuf/internal/strs).
func goCamelCase(s string) string {
	lower := func(c byte) bool { return 'a' <= c && c <= 'z' }
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && i+1 < len(s) && lower(s[i+1]):
		case c == '.':
			b = append(b, '_')
		case c == '_' && (i == 0 || s[i-1] == '.'):
			b = append(b, 'X')
		case c == '_' && i+1 < len(s) && lower(s[i+1]):
		case '0' <= c && c <= '9':
			b = append(b, c)
		default:
			if lower(c) {
				c -= 'a' - 'A'
			}
			b = append(b, c)
			for ; i+1 < len(s) && lower(s[i+1]); i++ {
				b = append(b, s[i+1])
			}
		}
	}
	return string(b)
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func shortName(url string) string {
	return url[strings.LastIndex(url, ".")+1:]
}

func envoyVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/envoyproxy/go-control-plane/envoy" {
				return d.Version
			}
		}
	}
	return "unknown"
}

func main() {
	version := flag.Bool("version", false, "print the go-control-plane Envoy API version and exit")
	types := flag.Bool("types", false, "also print, per message type checked, TYPE <full name> <count>")
	flag.Parse()
	if *version {
		fmt.Println("github.com/envoyproxy/go-control-plane/envoy " + envoyVersion())
		return
	}
	c := &checker{types: map[protoreflect.FullName]int{}}
	dec := json.NewDecoder(bufio.NewReaderSize(os.Stdin, 1<<20))
	resources := 0
	for {
		var in input
		if err := dec.Decode(&in); err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintf(os.Stderr, "envoy-validate: input %d: %v\n", resources+1, err)
			os.Exit(2)
		}
		raw, err := base64.StdEncoding.DecodeString(in.Any)
		a := &anypb.Any{}
		if err == nil {
			err = proto.Unmarshal(raw, a)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "envoy-validate: %s: not a base64 google.protobuf.Any: %v\n", in.Name, err)
			os.Exit(2)
		}
		resources++
		c.resource = in.Name
		c.checkAny(a, "")
	}
	for _, v := range c.violations {
		path := v.path
		if path == "" {
			path = "(resource)"
		}
		fmt.Printf("VIOLATION %s %s: %s\n", v.resource, path, v.message)
	}
	if *types {
		names := make([]string, 0, len(c.types))
		for n := range c.types {
			names = append(names, string(n))
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("TYPE %s %d\n", n, c.types[protoreflect.FullName(n)])
		}
	}
	fmt.Printf("envoy-validate: %d violations in %d resources (%d messages checked, envoy API %s)\n",
		len(c.violations), resources, c.messages, envoyVersion())
	if len(c.violations) > 0 {
		os.Exit(1)
	}
}
