/**
 * {@code tpath} reads, writes and deletes nodes of Jackson trees by the path grammar Istio users
 * write in {@code k8s.overlays[].patches[].path} and {@code --set}.
 *
 * <h2>Grammar</h2>
 *
 * <pre>
 * path      = part ( "." part )*
 * part      = key [ selector* ] | selector+
 * key       = ( char | "\" any )+          a map key
 * selector  = "[" body "]"
 * body      = index                        [3]  [-1]         list element by position
 *           | name ":" value               [name:discovery]  elements whose map has name = value
 *           | ":" value                    [:30m]            scalar elements equal to value
 *           | value                        [30m]             same, when value is not an integer
 * </pre>
 *
 * <ul>
 *   <li>{@code .} separates parts; {@code a[expr]} is the same as {@code a.[expr]}.
 *   <li>A backslash makes the next {@code .}, {@code :}, {@code [}, {@code ]} or {@code \} literal:
 *       {@code metadata.annotations.sidecar\.istio\.io/inject}, {@code [name:a\:b]}. Before any
 *       other character the backslash is kept as is. Inside {@code [...]} a plain {@code .} is
 *       literal too: {@code [name:namespace.sidecar-injector.istio.io]} (Istio requires {@code \.}
 *       there; both work).
 *   <li>{@code [name:value]} compares the text form of the element's {@code name} entry ({@code
 *       [containerPort:8080]} matches the number 8080 and the string "8080") and selects <em>every
 *       </em> matching element.
 *   <li>{@code [value]} and {@code [:value]} on a list of scalars select the elements equal to
 *       {@code value}; if none is equal, the first element that {@code value} matches as an
 *       unanchored regular expression ({@code [--log_output_level]} selects {@code
 *       --log_output_level=default:info}), as Istio does. {@code [8080]} is an index: write {@code
 *       [:8080]} to select the value.
 *   <li>{@code [N]} selects by position. On write, {@code N} equal to or past the end, or {@code
 *       -1}, appends; below {@code -1} is an error. On read or delete an index out of range is an
 *       error.
 *   <li>On write, missing map keys (and JSON nulls) are replaced by the container the next part
 *       needs: a list before {@code [N]}, a map otherwise. Selectors never create elements, except
 *       through {@link dev.isthmus.tpath.TreePath#upsert upsert}.
 * </ul>
 *
 * <h2>Examples</h2>
 *
 * <pre>
 * spec.template.spec.containers.[name:discovery].args.[30m]          the arg "30m" (or first containing 30m)
 * spec.template.spec.containers[name:discovery].ports.[containerPort:8080].containerPort
 * spec.template.spec.containers.[name:discovery].env.[name:REVISION]  (delete: removes the env var)
 * webhooks.[name:namespace\.sidecar-injector\.istio\.io].clientConfig.service.name
 * values.gateways.istio-egressgateway.secretVolumes[0].name           (set: creates list and map)
 * spec.ports.[-1]                                                     (set: appends)
 * </pre>
 *
 * <h2>Errors</h2>
 *
 * <p>Every failure is a {@link dev.isthmus.tpath.PathException} with a {@link
 * dev.isthmus.tpath.PathException.Reason reason}, the full path, the failing segment and the path
 * up to it: {@code no list element matches [name:foo] at spec.template.spec.containers.[name:foo]}.
 * A failed write or delete leaves the tree unchanged.
 */
package dev.isthmus.tpath;
