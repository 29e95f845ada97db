// Package gatewayconformance pins the upstream Gateway API conformance suite (sigs.k8s.io/gateway-api/conformance)
// at the release whose CRDs Isthmus supports. Nothing is written here: scripts/gateway-api.sh builds the suite's own
// test binary from this module (go test -c sigs.k8s.io/gateway-api/conformance) and the conformance integration test
// runs it against the control plane.
package gatewayconformance

import _ "sigs.k8s.io/gateway-api/conformance"
