#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031,SC2154 # bats: every @test runs in a subshell, and run sets $output, $stderr and $lines
# ddbjson: plain JSON <-> DynamoDB AttributeValues, numbers digit for
# digit, checked against boto3's TypeSerializer and TypeDeserializer.

load helper

setup() {
	DDB="$(unit test_ddbjson)"
	T="$BATS_TEST_TMPDIR"
}

# ddb [-d] MODE JSON: run the driver on JSON, expecting success.
ddb() {
	local opt=()
	if [ "$1" = -d ]; then
		opt=(-d)
		shift
	fi
	run --separate-stderr "$DDB" "${opt[@]}" "$1" <<<"$2"
	assert_success
	assert_equal "$stderr" ""
}

# refused CODE MODE JSON MESSAGE: run the driver on JSON, expecting exit
# CODE, nothing on stdout, and the one line "test_ddbjson: MESSAGE".
refused() {
	run -"$1" --separate-stderr "$DDB" "$2" <<<"$3"
	assert_output ""
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_equal "$stderr" "test_ddbjson: $4"
}

# nest N OPEN CLOSE LEAF: LEAF inside N copies of OPEN ... CLOSE.
nest() {
	local i out="$4"
	for ((i = 0; i < $1; i++)); do
		out="$2$out$3"
	done
	printf '%s\n' "$out"
}

# boto MODE ARGS...: the boto3 oracle (boto3 is a test tool only, never a
# dependency of csc).  Skips the test when boto3 is not installed.
#   boto reads PLAIN ITEM  TypeDeserializer reads the item in file ITEM as
#                          the plain document in file PLAIN, numbers
#                          compared digit for digit
#   boto writes EXPR       the item TypeSerializer makes of the Python
#                          expression EXPR, as wire JSON (binary in base64)
#   boto same EXPR PLAIN   the plain document in file PLAIN is the value
#                          of EXPR (sets as arrays, binary as base64)
boto() {
	python3 -c 'import boto3' 2>/dev/null ||
		skip "boto3 is not installed: cannot compare with it"
	python3 - "$@" <<'EOF'
import base64
import json
import sys
from decimal import Decimal

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_float=Decimal, parse_int=Decimal)


def wire(av):
    """An AttributeValue as DynamoDB's JSON carries it: binary in base64."""
    (t, v), = av.items()
    if t == "B":
        return {t: base64.b64encode(bytes(v)).decode()}
    if t == "BS":
        return {t: [base64.b64encode(bytes(b)).decode() for b in v]}
    if t == "M":
        return {t: {k: wire(x) for k, x in v.items()}}
    if t == "L":
        return {t: [wire(x) for x in v]}
    return av


def same(want, got):
    """WANT (boto3's value) equals GOT (a plain JSON value), exactly."""
    if isinstance(want, (set, frozenset)):
        if not isinstance(got, list) or len(got) != len(want):
            return False
        return sorted(map(plain, want)) == sorted(map(plain, got))
    if isinstance(want, (bytes, bytearray, Binary)):
        return isinstance(got, str) and base64.b64decode(got) == bytes(want)
    if type(want) is not type(got):
        return False
    if isinstance(want, dict):
        return want.keys() == got.keys() and all(
            same(want[k], got[k]) for k in want)
    if isinstance(want, list):
        return len(want) == len(got) and all(map(same, want, got))
    if isinstance(want, Decimal):
        return str(want) == str(got)  # digit for digit, not just ==
    return want == got


def plain(x):
    """A set element as comparable text."""
    if isinstance(x, (bytes, bytearray, Binary)):
        return base64.b64encode(bytes(x)).decode()
    return str(x)


mode = sys.argv[1]
if mode == "reads":
    want, item = load(sys.argv[2]), load(sys.argv[3])
    got = {k: TypeDeserializer().deserialize(v) for k, v in item.items()}
    if not same(got, want):
        sys.exit("boto3 reads %r\nthe input is %r" % (got, want))
elif mode == "writes":
    value = eval(sys.argv[2])
    ser = TypeSerializer()
    print(json.dumps({k: wire(ser.serialize(v)) for k, v in value.items()}))
elif mode == "same":
    want, got = eval(sys.argv[2]), load(sys.argv[3])
    if not same(want, got):
        sys.exit("we read %r\nboto3 wrote %r" % (got, want))
else:
    sys.exit("boto: unknown mode " + mode)
EOF
}

@test "every plain type marshals to its AttributeValue" {
	ddb marshal '{"s":"x","n":42,"t":true,"f":false,"z":null,"l":[1,"a"],"m":{"k":"v"},"e":[],"o":{}}'
	assert_output '{"s":{"S":"x"},"n":{"N":"42"},"t":{"BOOL":true},"f":{"BOOL":false},"z":{"NULL":true},"l":{"L":[{"N":"1"},{"S":"a"}]},"m":{"M":{"k":{"S":"v"}}},"e":{"L":[]},"o":{"M":{}}}'
}

@test "every AttributeValue type unmarshals to its plain value" {
	ddb unmarshal '{"s":{"S":"x"},"n":{"N":"42"},"t":{"BOOL":true},"f":{"BOOL":false},"z":{"NULL":true},"l":{"L":[{"N":"1"},{"S":"a"}]},"m":{"M":{"k":{"S":"v"}}},"e":{"L":[]},"o":{"M":{}}}'
	assert_output '{"s":"x","n":42,"t":true,"f":false,"z":null,"l":[1,"a"],"m":{"k":"v"},"e":[],"o":{}}'
}

@test "sets read back as arrays and binary as its base64 text" {
	ddb unmarshal '{"ss":{"SS":["a","b"]},"ns":{"NS":["1","-0.10","12345678901234567890"]},"bs":{"BS":["AAE=","/w=="]},"b":{"B":"aGk="}}'
	assert_output '{"ss":["a","b"],"ns":[1,-0.10,12345678901234567890],"bs":["AAE=","/w=="],"b":"aGk="}'
}

@test "a single value marshals and unmarshals outside an item" {
	ddb marshal-value '"x"'
	assert_output '{"S":"x"}'
	ddb marshal-value '[null,0.10]'
	assert_output '{"L":[{"NULL":true},{"N":"0.10"}]}'
	ddb unmarshal-value '{"N":"-7"}'
	assert_output '-7'
	ddb unmarshal-value '{"NULL":true}'
	assert_output 'null'
}

@test "numbers reach DynamoDB digit for digit" {
	ddb marshal '{"big":12345678901234567890,"neg":-0.10,"huge":1e400,"e":1E+2,"small":0.000001,"d39":123456789012345678901234567890123456789,"z":-0}'
	assert_output '{"big":{"N":"12345678901234567890"},"neg":{"N":"-0.10"},"huge":{"N":"1e400"},"e":{"N":"1E+2"},"small":{"N":"0.000001"},"d39":{"N":"123456789012345678901234567890123456789"},"z":{"N":"-0"}}'
}

@test "numbers from DynamoDB keep their digits" {
	ddb unmarshal '{"big":{"N":"12345678901234567890"},"neg":{"N":"-0.10"},"huge":{"N":"1e400"},"e":{"N":"1E+2"},"tiny":{"N":"1E-130"},"d38":{"N":"99999999999999999999999999999999999999"}}'
	assert_output '{"big":12345678901234567890,"neg":-0.10,"huge":1e400,"e":1E+2,"tiny":1E-130,"d38":99999999999999999999999999999999999999}'
}

@test "exact numbers survive a round trip, nested in maps and lists" {
	local doc='{"a":{"b":[12345678901234567890,{"c":[-0.10,[1e400,{"d":{}}]]}],"e":[[[]]]},"f":[{"g":null}]}'
	ddb roundtrip "$doc"
	assert_output "$doc"
}

@test "an N outside JSON's number grammar reads as the double it means" {
	ddb unmarshal '{"a":{"N":"+5"},"b":{"N":".5"},"c":{"N":"5."},"d":{"N":"007"},"e":{"N":"-.25e1"}}'
	assert_output '{"a":5,"b":0.5,"c":5,"d":7,"e":-2.5}'
}

@test "numbers without a kept text go out as the shortest text of their double" {
	ddb -d marshal '{"a":0.1,"b":1e21,"c":9007199254740993,"d":123.456,"e":1e-7,"f":12345678901234567890,"g":-0}'
	assert_output '{"a":{"N":"0.1"},"b":{"N":"1e+21"},"c":{"N":"9007199254740992"},"d":{"N":"123.456"},"e":{"N":"1e-07"},"f":{"N":"1.2345678901234567e+19"},"g":{"N":"-0"}}'
}

@test "a number written as cJSON prints it stays a number node; any other keeps its text" {
	local doc='{"i":1,"t":1700000000,"h":0.5,"p":1e+15,"q":1e15,"c":9.00719925474099e+15,"k":9007199254740992,"z":-0,"w":2.0,"top":[7]}'
	ddb marshal "$doc"
	assert_output '{"i":{"N":"1"},"t":{"N":"1700000000"},"h":{"N":"0.5"},"p":{"N":"1e+15"},"q":{"N":"1e15"},"c":{"N":"9.00719925474099e+15"},"k":{"N":"9007199254740992"},"z":{"N":"-0"},"w":{"N":"2.0"},"top":{"L":[{"N":"7"}]}}'
	ddb roundtrip "$doc"
	assert_output "$doc"
	ddb print '12345678901234567890123'
	assert_output '12345678901234567890123'
	ddb unmarshal-value '{"N":"0.10"}'
	assert_output '0.10'
}

@test "a number that is not finite cannot be stored" {
	run -65 --separate-stderr "$DDB" -d marshal <<<'{"a":[1e400]}'
	assert_output ""
	assert_equal "$stderr" 'test_ddbjson: member "a": a number DynamoDB cannot hold (not finite)'
}

@test "unicode and escapes survive in strings and attribute names" {
	local doc='{"naïve 名前 🚀":"tab\there \"q\" back\\slash \u0001 é","x\ny":{"k\"/":["é","\r\b\f"]}}'
	ddb roundtrip "$doc"
	assert_output "$doc"
	ddb marshal '{"\u00e9\ud83d\ude80":"\u00e9"}'
	assert_output '{"é🚀":{"S":"é"}}'
	ddb unmarshal '{"\u00e9":{"SS":["\u00fc","\n"]}}'
	assert_output '{"é":["ü","\n"]}'
}

@test "boto3's TypeDeserializer reads our items as the input document" {
	printf '%s\n' '{"s":"héllo \"q\" \\ \n\t\u0001 🚀","big":12345678901234567890,"neg":-0.10,"d38":12345678901234567890123456789012345678,"e":1.5E+100,"tiny":2e-5,"zero":0,"negzero":-0,"t":true,"f":false,"z":null,"m":{"名前":[1,"x",false,null,{"deep":[[],{}]}]},"empty":""}' >"$T/plain.json"
	run --separate-stderr "$DDB" marshal <"$T/plain.json"
	assert_success
	printf '%s\n' "$output" >"$T/item.json"
	run boto reads "$T/plain.json" "$T/item.json"
	assert_success
}

@test "items boto3's TypeSerializer writes unmarshal to the same values" {
	local value='{"s": "héllo \"q\" \\ \n\t\x01 🚀", "n": Decimal("12345678901234567890123456789012345678"), "neg": Decimal("-0.10"), "e": Decimal("1E+125"), "tiny": Decimal("1E-130"), "i": Decimal("7"), "t": True, "z": None, "m": {"inner": [Decimal("1"), "x", False, None, {"deep": [[]]}]}, "ss": {"a", "b", "ü"}, "ns": {Decimal("1.5"), Decimal("-0.10"), Decimal("12345678901234567890")}, "bs": {b"\x00\x01", b"\xff"}, "b": Binary(b"\x00bin\xff"), "l": [], "o": {}}'
	run --separate-stderr boto writes "$value"
	assert_success
	printf '%s\n' "$output" >"$T/item.json"
	grep -q '"NS": \[' "$T/item.json"
	grep -q '"BS": \[' "$T/item.json"
	run --separate-stderr "$DDB" unmarshal <"$T/item.json"
	assert_success
	printf '%s\n' "$output" >"$T/plain.json"
	run boto same "$value" "$T/plain.json"
	assert_success
}

@test "an attribute value with no type is refused" {
	refused 69 unmarshal '{"a":{}}' 'DynamoDB sent an attribute value with no type'
}

@test "an attribute value with two types is refused" {
	refused 69 unmarshal '{"a":{"S":"x","N":"1"}}' 'DynamoDB sent an attribute value with two types ("S" and "N")'
}

@test "an attribute value of unknown type is refused" {
	refused 69 unmarshal '{"a":{"X":"y"}}' 'DynamoDB sent an attribute value of unknown type "X"'
	refused 69 unmarshal '{"a":{"X":1}}' 'DynamoDB sent an attribute value of unknown type "X"'
	refused 69 unmarshal '{"a":{"s":"lower case"}}' 'DynamoDB sent an attribute value of unknown type "s"'
}

@test "an attribute value whose value has the wrong JSON type is refused" {
	refused 69 unmarshal '{"a":{"S":1}}' 'DynamoDB sent an attribute value of type S that is not a string'
	refused 69 unmarshal '{"a":{"N":1}}' 'DynamoDB sent an attribute value of type N that is not a string'
	refused 69 unmarshal '{"a":{"B":null}}' 'DynamoDB sent an attribute value of type B that is not a string'
	refused 69 unmarshal '{"a":{"BOOL":"true"}}' 'DynamoDB sent an attribute value of type BOOL that is not true or false'
	refused 69 unmarshal '{"a":{"NULL":false}}' 'DynamoDB sent an attribute value of type NULL that is not true'
	refused 69 unmarshal '{"a":{"M":[]}}' 'DynamoDB sent an attribute value of type M that is not an object'
	refused 69 unmarshal '{"a":{"L":{}}}' 'DynamoDB sent an attribute value of type L that is not an array'
	refused 69 unmarshal '{"a":{"SS":"x"}}' 'DynamoDB sent an attribute value of type SS that is not an array'
	refused 69 unmarshal '{"a":{"SS":[1]}}' 'DynamoDB sent a set of type SS with an element that is not a string'
	refused 69 unmarshal '{"a":{"L":["x"]}}' 'DynamoDB sent an attribute value that is not a JSON object'
}

@test "an N that is not a number is refused" {
	refused 69 unmarshal '{"a":{"N":"abc"}}' 'DynamoDB sent a number that is not a number: "abc"'
	refused 69 unmarshal '{"a":{"N":""}}' 'DynamoDB sent a number that is not a number: ""'
	refused 69 unmarshal '{"a":{"N":" 5"}}' 'DynamoDB sent a number that is not a number: " 5"'
	refused 69 unmarshal '{"a":{"N":"0x10"}}' 'DynamoDB sent a number that is not a number: "0x10"'
	refused 69 unmarshal '{"a":{"N":"inf"}}' 'DynamoDB sent a number that is not a number: "inf"'
	refused 69 unmarshal '{"a":{"N":"NaN"}}' 'DynamoDB sent a number that is not a number: "NaN"'
	refused 69 unmarshal '{"a":{"N":"1e"}}' 'DynamoDB sent a number that is not a number: "1e"'
	refused 69 unmarshal '{"a":{"NS":["1","x\ny"]}}' 'DynamoDB sent a number that is not a number: "x\x0ay"'
	refused 69 unmarshal '{"a":{"N":"+1e400"}}' 'DynamoDB sent a number out of range: "+1e400"'
}

@test "an item that is not an object is refused" {
	refused 69 unmarshal '[{"S":"x"}]' 'DynamoDB sent an item that is not a JSON object'
	refused 69 unmarshal '"x"' 'DynamoDB sent an item that is not a JSON object'
	refused 69 unmarshal-value '[]' 'DynamoDB sent an attribute value that is not a JSON object'
}

@test "an attribute name DynamoDB repeats is an unreadable answer (69)" {
	refused 69 unmarshal '{"a":{"S":"x"},"a":{"S":"y"}}' 'standard input: duplicate key "a" at .'
	refused 69 unmarshal '{"m":{"M":{"k":{"NULL":true},"k":{"NULL":true}}}}' 'standard input: duplicate key "k" at .m.M'
	refused 69 unmarshal-value '{"L":[{"S":"x"},{"S":"y","S":"z"}]}' 'standard input: duplicate key "S" at .L[1]'
}

@test "DynamoDB's 32 levels of nesting read, and more than 64 are refused" {
	ddb unmarshal "{\"a\":$(nest 32 '{"L":[' ']}' '{"M":{}}')}"
	nest 63 '{"L":[' ']}' '{"M":{}}' >"$T/av64.json"
	ddb unmarshal "{\"a\":$(cat "$T/av64.json")}"
	refused 69 unmarshal "{\"a\":{\"L\":[$(cat "$T/av64.json")]}}" 'DynamoDB sent attribute values nested deeper than 64 levels'
	refused 69 unmarshal "{\"a\":$(nest 64 '{"L":[' ']}' '{"SS":["x"]}')}" 'DynamoDB sent attribute values nested deeper than 64 levels'
	refused 69 unmarshal "{\"a\":$(nest 300 '{"M":{"b":' '}}' '{"S":"x"}')}" 'DynamoDB sent attribute values nested deeper than 64 levels'
}

@test "a document nested more than 64 deep cannot be stored" {
	ddb marshal "{\"a\":$(nest 63 '[' ']' '{}')}"
	refused 65 marshal "{\"a\":$(nest 64 '[' ']' '{}')}" 'member "a": nested too deep for DynamoDB'
	refused 65 marshal "{\"a\":$(nest 65 '{"b":' '}' '1')}" 'member "b": nested too deep for DynamoDB'
}

@test "a member name that appears twice is refused with 65, naming where" {
	refused 65 marshal '{"a":1,"b":2,"a":3}' 'standard input: duplicate key "a" at .'
	refused 65 marshal '{"m":[{"x":1,"y":{"k":1,"k":2}}]}' 'standard input: duplicate key "k" at .m[0].y'
	refused 65 marshal '{"é":1,"\u00e9":2}' 'standard input: duplicate key "é" at .'
	refused 65 marshal-value '{"q\nq":1,"q\nq":2}' 'standard input: duplicate key "q\nq" at .'
	refused 65 marshal '{"a b":[[{"c":{"d":1,"e":2,"d":3,"e":4}}]]}' 'standard input: duplicate key "d" at .["a b"][0][0].c'
	refused 65 print '[{"x":{"y":1,"y":2}},{"z":1,"z":2}]' 'standard input: duplicate key "y" at .[0].x'
	refused 65 print '{"b":{"y":1,"y":2},"a":1,"a":2}' 'standard input: duplicate key "a" at .'
}

@test "only an object marshals as an item" {
	refused 65 marshal '[1]' 'an item must be a JSON object'
	refused 65 marshal '"x"' 'an item must be a JSON object'
}

@test "invalid JSON input is refused with 65, an invalid answer with 69" {
	refused 65 marshal '{"a":1' 'standard input: invalid JSON near byte 6'
	refused 69 unmarshal '{"a":{"N":"1"}' 'standard input: invalid JSON near byte 14'
}

@test "jsonio keeps number texts when exact numbers are on, and copies keep them" {
	ddb print '{"a":12345678901234567890,"b":-0.10,"c":1e400,"d":[1.50,2E-3]}'
	assert_output '{"a":12345678901234567890,"b":-0.10,"c":1e400,"d":[1.50,2E-3]}'
}

@test "jsonio prints numbers as before when exact numbers are off" {
	ddb -d print '{"a":12345678901234567890,"b":-0.10,"c":1e400,"d":[1.50,2E-3]}'
	assert_output '{"a":1.2345678901234567e+19,"b":-0.1,"c":null,"d":[1.5,0.002]}'
}

@test "numbers cJSON accepts outside JSON's grammar print as their double" {
	ddb print '[01,1.,-.5,-0]'
	assert_output '[1,1,-0.5,-0]'
}
