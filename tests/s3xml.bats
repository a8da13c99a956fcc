#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031,SC2154 # bats: every @test runs in a subshell, and run sets $output, $stderr and $lines
# s3xml: S3's XML answers (error bodies, ListObjectVersions pages,
# DeleteObjects results) read into the right fields, hostile XML refused,
# and keys escaped for request bodies.  The fixtures were captured from
# s3rver (deploy/local), plus aws-*.xml in the shapes of AWS's API
# reference.

load helper

setup() {
	S3XML=$(unit test_s3xml)
	FIX="$CSC_TOP/tests/fixtures/s3xml"
	# The 1024-byte key the capture stored (s3rver keeps each path
	# segment a file name, so at most 255 bytes).
	LONG_KEY="long$(printf '/%0203d' 0 0 0 0 0 | tr 0 x)"
}

# s3xml MODE [CODE]: run the driver on stdin, expecting exit CODE (0).
s3xml() {
	run -"${2:-0}" --separate-stderr "$S3XML" "$1"
}

# refused MODE LINE: the input is refused with exit 69 and LINE on stderr.
refused() {
	run -69 --separate-stderr "$S3XML" "$1"
	assert_output ""
	assert_equal "$stderr" "$2"
}

# json FILTER: the jq FILTER holds of the driver's output.
json() {
	jq -e "$1" <<<"$output" >/dev/null || fail "jq $1 does not hold of: $output"
}

# json_is FILTER STRING: the jq FILTER gives STRING from the output.
json_is() {
	jq -e --arg want "$2" "($1) == \$want" <<<"$output" >/dev/null ||
		fail "jq $1 is not '$2' in: $output"
}

@test "an s3rver NoSuchKey body gives its code and message" {
	s3xml error <"$FIX/error-nosuchkey.xml"
	assert_output '{"code":"NoSuchKey","message":"The specified key does not exist.","request_id":""}'
}

@test "every captured error body gives the code its name says" {
	for f in "$FIX"/error-*.xml; do
		s3xml error <"$f"
		name=${f##*/error-}
		json_is '.code | ascii_downcase' "${name%.xml}"
		json '.message | length > 0'
	done
}

@test "an AWS error body gives its request id, with the children in any order" {
	s3xml error <"$FIX/aws-error-slowdown.xml"
	assert_output '{"code":"SlowDown","message":"Please reduce your request rate.","request_id":"TX9Z7Q1ABCDEF123"}'
	s3xml error <"$FIX/aws-error-accessdenied.xml"
	assert_output '{"code":"AccessDenied","message":"Access Denied","request_id":"4442587FB7D0A2F9"}'
}

@test "an Error in a namespace, with a prefix, is still an error body" {
	s3xml error <<<'<e:Error xmlns:e="http://s3.amazonaws.com/doc/2006-03-01/"><e:Message>m</e:Message><e:Code>C</e:Code></e:Error>'
	assert_output '{"code":"C","message":"m","request_id":""}'
}

@test "a Code nested below another child of Error is not the error's code" {
	s3xml error 1 <<<'<Error><Details><Code>Inner</Code></Details></Error>'
	assert_output ""
	s3xml error <<<'<Error><Details><Code>Inner</Code></Details><Code>Outer</Code></Error>'
	json '.code == "Outer"'
}

@test "documents that are not S3 errors are not error bodies" {
	for f in versions.xml delete-result.xml versioning.xml; do
		s3xml error 1 <"$FIX/$f"
		assert_output ""
		assert_equal "$stderr" "test_s3xml: not an S3 error body"
	done
	s3xml error 1 </dev/null
	s3xml error 1 <<<'{"__type":"ResourceNotFoundException","message":"x"}'
	s3xml error 1 <<<'<html><body><h1>502 Bad Gateway</h1></body></html>'
	s3xml error 1 <<<'<Error><Message>no code</Message></Error>'
	s3xml error 1 <<<'<Error><Code>  </Code></Error>'
	s3xml error 1 <<<'<Error><Code/></Error>'
	s3xml error 1 <<<'<Error><Code>Truncated</Code>'
}

@test "long error fields are cut to fit, at a character boundary" {
	code=$(printf 'C%.0s' $(seq 100))
	msg=$(printf 'é%.0s' $(seq 300))
	s3xml error <<<"<Error><Code>$code</Code><Message>$msg</Message></Error>"
	json_is .code "${code:0:63}"
	# 256 bytes hold 127 two-byte characters and the NUL.
	json_is .message "$(printf 'é%.0s' $(seq 127))"
}

@test "an s3rver ListObjectVersions page gives every version and delete marker" {
	s3xml versions <"$FIX/versions.xml"
	json '.is_truncated == false and .next_key_marker == null and .next_version_id_marker == null'
	json '.versions | length == 9'
	json '.versions[0] == {"key":"amp&lt<gt>quote\"apos'"'"'.txt","version_id":"x4Nt5cGOt21jIALwSESf0b2bGKvYXVdr","delete_marker":false,"latest":true,"size":2}'
	json '.versions[1] == {"key":"dir with spaces/a b.txt","version_id":"UXxzrHx_qsxoHLgr27qyradrGNv7S2F9","delete_marker":true,"latest":true,"size":-1}'
	json '.versions[2] == {"key":"dir with spaces/a b.txt","version_id":"rClic-bcx05TfVwUgu-KKyt1yFbFZCNP","delete_marker":false,"latest":false,"size":2}'
	[ "${#LONG_KEY}" -eq 1024 ]
	json_is '.versions[3].key' "$LONG_KEY"
	json '[.versions[] | select(.key == "plain.txt") | .size] == [11, 2]'
	json '.versions[6].key == "plus+equals=tilde~.txt"'
	json '.versions[7] == {"key":"pre-versioning.txt","version_id":"null","delete_marker":false,"latest":true,"size":3}'
	json '.versions[8].key == "ünïcödé/файл 文件.md"'
}

@test "a url-encoded page (botocore's encoding-type=url) gives the same keys as a plain one" {
	s3xml versions <"$FIX/versions.xml"
	plain=$output
	s3xml versions <"$FIX/versions-url.xml"
	assert_equal "$output" "$plain"
}

@test "url-encoded keys and markers decode '+' to a space and %2B to a plus" {
	s3xml versions <"$FIX/aws-versions-url.xml"
	json '.next_key_marker == "dir with spaces/z+1.txt"'
	json '.versions[0].key == "dir with spaces/a b+&<.txt" and .versions[0].size == 0'
	json '.versions[0].version_id == "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"'
	json '.versions[1].key == "dir with spaces/z+1.txt" and .versions[1].delete_marker'
}

@test "EncodingType decodes the keys wherever it stands in the page" {
	s3xml versions <<<'<ListVersionsResult><Version><Key>a%20b+c</Key><VersionId>v</VersionId></Version><EncodingType>url</EncodingType></ListVersionsResult>'
	json '.versions[0].key == "a b c"'
}

@test "without EncodingType a percent sign in a key is kept" {
	s3xml versions <<<'<ListVersionsResult><Version><Key>100%25+ok</Key><VersionId>v</VersionId></Version></ListVersionsResult>'
	json '.versions[0].key == "100%25+ok"'
}

@test "a bad escape in a url-encoded key is refused" {
	for k in '%' '%4' '%zz' 'a%00b'; do
		refused versions "test_s3xml: S3 sent a url-encoded key with a bad % escape" <<<"<ListVersionsResult><EncodingType>url</EncodingType><Version><Key>$k</Key><VersionId>v</VersionId></Version></ListVersionsResult>"
	done
}

@test "truncated pages give the markers to continue from" {
	s3xml versions <"$FIX/versions-page1.xml"
	json '.is_truncated and .next_key_marker == "dir with spaces/a b.txt" and .next_version_id_marker == "UXxzrHx_qsxoHLgr27qyradrGNv7S2F9"'
	json '[.versions[].delete_marker] == [false, true]'
	s3xml versions <"$FIX/versions-page2.xml"
	json '.is_truncated and .next_key_marker == "plain.txt" and (.versions | length) == 2'
	s3xml versions <"$FIX/versions-url-page1.xml"
	json '.is_truncated and .next_key_marker == "dir with spaces/a b.txt" and (.versions | length) == 3'
}

@test "an AWS page with a delete marker and a null version continues from version null" {
	s3xml versions <"$FIX/aws-versions.xml"
	assert_output '{"is_truncated":true,"next_key_marker":"my-third-image.jpg","next_version_id_marker":"null","versions":[{"key":"my-image.jpg","version_id":"3/L4kqtJl40Nr8X8gdRQBpUMLUo","delete_marker":false,"latest":true,"size":434234},{"key":"my-second-image.jpg","version_id":"03jpff543dhffds434rfdsFDN943fdsFkdmqnh892","delete_marker":true,"latest":true,"size":-1},{"key":"my-third-image.jpg","version_id":"null","delete_marker":false,"latest":false,"size":64}]}'
}

@test "prefixed elements with children in any order parse the same" {
	s3xml versions <"$FIX/aws-versions-prefixed.xml"
	assert_output '{"is_truncated":false,"next_key_marker":null,"next_version_id_marker":null,"versions":[{"key":"a<b>&\"'"'"'","version_id":"dm1","delete_marker":true,"latest":true,"size":-1},{"key":"a<b>&\"'"'"'","version_id":"v1","delete_marker":false,"latest":false,"size":7}]}'
}

@test "an empty page is an empty list" {
	s3xml versions <"$FIX/versions-empty-url.xml"
	assert_output '{"is_truncated":false,"next_key_marker":null,"next_version_id_marker":null,"versions":[]}'
}

@test "keys keep their white space, CDATA and character references" {
	s3xml versions <<<'<ListVersionsResult><Version><Key> a&#9;b&#x0A;c&#13; </Key><VersionId>v</VersionId><Size> 5 </Size><IsLatest>
true
</IsLatest></Version><Version><Key><![CDATA[<x&y>]]></Key><VersionId>w</VersionId></Version></ListVersionsResult>'
	json '.versions[0] == {"key":" a\tb\nc\r ","version_id":"v","delete_marker":false,"latest":true,"size":5}'
	json '.versions[1].key == "<x&y>" and .versions[1].size == -1'
}

@test "a page that is not truncated has no markers, even if S3 sends some" {
	s3xml versions <<<'<ListVersionsResult><IsTruncated>false</IsTruncated><NextKeyMarker>k</NextKeyMarker><NextVersionIdMarker>v</NextVersionIdMarker></ListVersionsResult>'
	json '.next_key_marker == null and .next_version_id_marker == null'
}

@test "a truncated page without a NextKeyMarker is refused, not listed again" {
	refused versions "test_s3xml: S3 sent a truncated ListVersionsResult without a NextKeyMarker" <<<'<ListVersionsResult><IsTruncated>true</IsTruncated><Version><Key>k</Key><VersionId>v</VersionId></Version></ListVersionsResult>'
}

@test "an entry without a Key or VersionId is refused" {
	refused versions "test_s3xml: S3 sent a <Version> without a Key and VersionId" <<<'<ListVersionsResult><Version><VersionId>v</VersionId></Version></ListVersionsResult>'
	refused versions "test_s3xml: S3 sent a <DeleteMarker> without a Key and VersionId" <<<'<ListVersionsResult><DeleteMarker><Key>k</Key></DeleteMarker></ListVersionsResult>'
	refused versions "test_s3xml: S3 sent a <Version> without a Key and VersionId" <<<'<ListVersionsResult><Version><Key></Key><VersionId>v</VersionId></Version></ListVersionsResult>'
	# A Key one level too deep is not the entry's key.
	refused versions "test_s3xml: S3 sent a <Version> without a Key and VersionId" <<<'<ListVersionsResult><Version><Owner><Key>k</Key></Owner><VersionId>v</VersionId></Version></ListVersionsResult>'
}

@test "a flag or size that is not one is refused" {
	refused versions "test_s3xml: S3 sent <IsTruncated>yes</IsTruncated>" <<<'<ListVersionsResult><IsTruncated>yes</IsTruncated></ListVersionsResult>'
	refused versions "test_s3xml: S3 sent <IsLatest>TRUE</IsLatest>" <<<'<ListVersionsResult><Version><Key>k</Key><VersionId>v</VersionId><IsLatest>TRUE</IsLatest></Version></ListVersionsResult>'
	for size in -1 1e3 0x10 '' 99999999999999999999; do
		refused versions "test_s3xml: S3 sent <Size>$size</Size>" <<<"<ListVersionsResult><Version><Key>k</Key><VersionId>v</VersionId><Size>$size</Size></Version></ListVersionsResult>"
	done
}

@test "an empty first field is read as empty" {
	refused versions "test_s3xml: S3 sent <IsTruncated></IsTruncated>" <<<'<ListVersionsResult><IsTruncated/></ListVersionsResult>'
	s3xml versions <<<'<ListVersionsResult><Version><VersionId/><Key>k</Key></Version></ListVersionsResult>'
	json '.versions[0].version_id == ""'
}

@test "a 5 TiB object's size is exact" {
	s3xml versions <<<'<ListVersionsResult><Version><Key>k</Key><VersionId>v</VersionId><Size>5497558138880</Size></Version></ListVersionsResult>'
	json '.versions[0].size == 5497558138880'
}

@test "an S3 error in place of a page is reported by its code and message" {
	refused versions "test_s3xml: S3 sent an error instead of <ListVersionsResult>: NoSuchBucket: The specified bucket does not exist" <"$FIX/error-nosuchbucket.xml"
	refused delete "test_s3xml: S3 sent an error instead of <DeleteResult>: MalformedXML: The XML you provided was not well-formed or did not validate against our published schema." <"$FIX/error-malformedxml.xml"
}

@test "a document with another root is refused, naming it" {
	refused versions "test_s3xml: S3 sent <VersioningConfiguration> where <ListVersionsResult> was expected" <"$FIX/versioning.xml"
	refused versions "test_s3xml: S3 sent <DeleteResult> where <ListVersionsResult> was expected" <"$FIX/delete-result.xml"
	refused delete "test_s3xml: S3 sent <ListVersionsResult> where <DeleteResult> was expected" <"$FIX/versions.xml"
	refused versions "test_s3xml: S3 sent <Error> where <ListVersionsResult> was expected" <<<'<Error><Message>no code</Message></Error>'
}

@test "malformed and truncated XML is refused with expat's reason and line" {
	head -c 2000 "$FIX/versions.xml" >"$BATS_TEST_TMPDIR/cut.xml"
	refused versions "test_s3xml: S3 sent malformed XML (no element found at line 2)" <"$BATS_TEST_TMPDIR/cut.xml"
	refused versions "test_s3xml: S3 sent malformed XML (no element found at line 1)" </dev/null
	refused versions "test_s3xml: S3 sent malformed XML (mismatched tag at line 1)" <<<'<ListVersionsResult><Version></ListVersionsResult>'
	refused delete "test_s3xml: S3 sent malformed XML (syntax error at line 1)" <<<'not xml at all'
	refused delete "test_s3xml: S3 sent malformed XML (junk after document element at line 2)" <<<'<DeleteResult/>
<DeleteResult/>'
	refused versions "test_s3xml: S3 sent malformed XML (unbound prefix at line 1)" <<<'<s3:ListVersionsResult/>'
	refused versions "test_s3xml: S3 sent malformed XML (reference to invalid character number at line 1)" <<<'<ListVersionsResult><Version><Key>a&#1;b</Key></Version></ListVersionsResult>'
	printf '<DeleteResult>\0</DeleteResult>' >"$BATS_TEST_TMPDIR/nul.xml"
	refused delete "test_s3xml: S3 sent malformed XML (not well-formed (invalid token) at line 1)" <"$BATS_TEST_TMPDIR/nul.xml"
	printf '<DeleteResult><Error><Key>\xff</Key></Error></DeleteResult>' >"$BATS_TEST_TMPDIR/latin1.xml"
	refused delete "test_s3xml: S3 sent malformed XML (not well-formed (invalid token) at line 1)" <"$BATS_TEST_TMPDIR/latin1.xml"
}

@test "a DOCTYPE with an entity bomb is refused at once by every parser" {
	{
		printf '<?xml version="1.0"?>\n<!DOCTYPE Error [\n<!ENTITY a0 "lol">\n'
		for i in $(seq 1 30); do
			printf '<!ENTITY a%d "&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;">\n' \
				"$i" "$((i - 1))" "$((i - 1))" "$((i - 1))" "$((i - 1))" "$((i - 1))" \
				"$((i - 1))" "$((i - 1))" "$((i - 1))" "$((i - 1))" "$((i - 1))"
		done
		printf ']>\n<Error><Code>&a30;</Code></Error>\n'
	} >"$BATS_TEST_TMPDIR/bomb.xml"
	run -1 --separate-stderr timeout 5 "$S3XML" error <"$BATS_TEST_TMPDIR/bomb.xml"
	assert_output ""
	for mode in versions delete; do
		run -69 --separate-stderr timeout 5 "$S3XML" "$mode" <"$BATS_TEST_TMPDIR/bomb.xml"
		assert_equal "$stderr" "test_s3xml: S3 sent a DOCTYPE, which is refused"
	done
}

@test "an external entity is never read" {
	refused delete "test_s3xml: S3 sent a DOCTYPE, which is refused" <<<'<!DOCTYPE DeleteResult SYSTEM "file:///etc/passwd"><DeleteResult/>'
	refused delete "test_s3xml: S3 sent a DOCTYPE, which is refused" <<<'<!DOCTYPE DeleteResult [<!ENTITY x SYSTEM "file:///etc/passwd">]><DeleteResult><Error><Key>&x;</Key></Error></DeleteResult>'
	refused delete "test_s3xml: S3 sent malformed XML (undefined entity at line 1)" <<<'<DeleteResult><Error><Key>&x;</Key></Error></DeleteResult>'
	s3xml error 1 <<<'<!DOCTYPE Error [<!ENTITY x SYSTEM "file:///etc/passwd">]><Error><Code>&x;</Code></Error>'
}

@test "XML nested deeper than 16 is refused" {
	deep=$(printf '<a>%.0s' $(seq 15))$(printf '</a>%.0s' $(seq 15))
	s3xml delete <<<"<DeleteResult>$deep</DeleteResult>"
	refused delete "test_s3xml: S3 sent XML nested deeper than 16" <<<"<DeleteResult><a>$deep</a></DeleteResult>"
}

@test "a key longer than 4096 bytes is refused, not cut to another key" {
	key=$(printf 'k%.0s' $(seq 4096))
	s3xml versions <<<"<ListVersionsResult><Version><Key>$key</Key><VersionId>v</VersionId></Version></ListVersionsResult>"
	json '.versions[0].key | length == 4096'
	refused versions "test_s3xml: S3 sent a <Key> longer than 4096 bytes" <<<"<ListVersionsResult><Version><Key>${key}k</Key><VersionId>v</VersionId></Version></ListVersionsResult>"
	refused delete "test_s3xml: S3 sent a <Key> longer than 4096 bytes" <<<"<DeleteResult><Error><Key>${key}k</Key></Error></DeleteResult>"
}

@test "a full page of 1000 versions parses, and one of over 100000 entries is refused" {
	page() { # N: a page of N versions
		awk -v n="$1" 'BEGIN {
			printf "<ListVersionsResult><IsTruncated>false</IsTruncated>"
			for (i = 0; i < n; i++)
				printf "<Version><Key>k%d</Key><VersionId>v</VersionId></Version>", i
			print "</ListVersionsResult>"
		}'
	}
	page 1000 >"$BATS_TEST_TMPDIR/1000.xml"
	s3xml versions <"$BATS_TEST_TMPDIR/1000.xml"
	json '(.versions | length) == 1000 and .versions[999].key == "k999"'
	page 100001 >"$BATS_TEST_TMPDIR/many.xml"
	refused versions "test_s3xml: S3 sent more than 100000 entries" <"$BATS_TEST_TMPDIR/many.xml"
}

@test "an s3rver DeleteResult counts the deleted keys" {
	s3xml delete <"$FIX/delete-result.xml"
	assert_output '{"deleted":3,"errors":[]}'
	s3xml delete <"$FIX/delete-result-quiet.xml"
	assert_output '{"deleted":1,"errors":[]}'
	s3xml delete <<<'<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
	assert_output '{"deleted":0,"errors":[]}'
}

@test "AWS's per-key delete errors give the key, version and code" {
	s3xml delete <"$FIX/aws-delete-result.xml"
	assert_output '{"deleted":2,"errors":[{"key":"sample2.txt","version_id":null,"code":"AccessDenied","message":"Access Denied"},{"key":"dir with spaces/ü & ö+1.txt","version_id":"null","code":"InternalError","message":"We encountered an internal error. Please try again."}]}'
}

@test "a delete error without a Key is refused" {
	refused delete "test_s3xml: S3 sent a DeleteResult <Error> without a Key" <<<'<DeleteResult><Error><Code>AccessDenied</Code></Error></DeleteResult>'
}

@test "escape writes the XML specials and tab, newline, CR as references" {
	printf 'a&b<c>d"e'"'"'f\tg\nh\ri ü+%%20' >"$BATS_TEST_TMPDIR/key"
	s3xml escape <"$BATS_TEST_TMPDIR/key"
	assert_output 'a&amp;b&lt;c&gt;d&quot;e&apos;f&#9;g&#10;h&#13;i ü+%20'
}

@test "an escaped key parses back to the same key in a DeleteResult and a page" {
	keys=(
		"plain.txt" "dir with spaces/a b.txt" "ünïcödé/файл 文件.md" "plus+equals=tilde~.txt"
		"amp&lt<gt>quote\"apos'.txt" $'tab\tcr\rlf\nend' $'\r\n' " lead and trail " "]]>" "😀 emoji"
		"$LONG_KEY"
	)
	for key in "${keys[@]}"; do
		printf '%s' "$key" >"$BATS_TEST_TMPDIR/key"
		s3xml escape <"$BATS_TEST_TMPDIR/key"
		esc=$output
		s3xml delete <<<"<DeleteResult><Error><Key>$esc</Key><Code>X</Code></Error></DeleteResult>"
		json_is '.errors[0].key' "$key"
		s3xml versions <<<"<ListVersionsResult><Version><Key>$esc</Key><VersionId>v</VersionId></Version></ListVersionsResult>"
		json_is '.versions[0].key' "$key"
	done
}

@test "escape refuses control characters and bytes that are not UTF-8 XML" {
	for bad in $'\001' $'\037' $'\033[0m' $'\013' $'\014'; do
		printf 'a%s' "$bad" >"$BATS_TEST_TMPDIR/key"
		run -65 --separate-stderr "$S3XML" escape <"$BATS_TEST_TMPDIR/key"
		assert_output ""
		assert_regex "$stderr" '^test_s3xml: key has byte 0x[01][0-9a-f] at offset 1, which XML 1.0 cannot carry$'
	done
	# Not UTF-8, an overlong '/', a surrogate, U+FFFE, beyond U+10FFFF.
	for bad in $'\377' $'\300\257' $'\355\240\200' $'\357\277\276' $'\364\220\200\200' $'\303'; do
		printf 'ok%s' "$bad" >"$BATS_TEST_TMPDIR/key"
		run -65 --separate-stderr "$S3XML" escape <"$BATS_TEST_TMPDIR/key"
		assert_regex "$stderr" '^test_s3xml: key has byte 0x[c-f][0-9a-f] at offset 2, which XML 1.0 cannot carry$'
	done
	# DEL and the last code point are XML characters.
	printf 'a\177\364\217\277\277' >"$BATS_TEST_TMPDIR/key"
	s3xml escape <"$BATS_TEST_TMPDIR/key"
}

@test "the parsers are clean under valgrind on fixtures and on refused input" {
	case "$CSC_BUILD" in *san*) skip "the sanitizer build checks memory itself" ;; esac
	vg() {
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
			--error-exitcode=99 "$S3XML" "$@"
	}
	run -0 vg versions <"$FIX/versions-url.xml"
	run -0 vg delete <"$FIX/aws-delete-result.xml"
	run -0 vg error <"$FIX/aws-error-slowdown.xml"
	run -69 vg versions <"$FIX/error-nosuchbucket.xml"
	run -69 vg versions <<<'<ListVersionsResult><Version><Key>k</Key><VersionId>v</VersionId></Version><Version><Key>k</Key></Version></ListVersionsResult>'
	run -69 vg delete <<<'<DeleteResult><Error><Key>k</Key><VersionId>v</VersionId><Code>C</Code></Error><Error><VersionId>v</VersionId></Error></DeleteResult>'
	printf 'a\001' >"$BATS_TEST_TMPDIR/key"
	run -65 vg escape <"$BATS_TEST_TMPDIR/key"
}
