# shellcheck shell=sh
# json.sh - write JSON from the shell: strings escaped, numbers checked.
#
# Sourced by crashcapture (busybox ash); POSIX sh plus `local`. Sourcing
# defines functions only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.

# json_str STRING: print STRING as a JSON string literal (no newline).
# Escapes '"', '\', every control byte and every byte >= 0x7f as \uXXXX
# (\n, \t, \r by name), so the output is ASCII and valid JSON whatever the
# input bytes: a byte >= 0x80 becomes the code point of the same value (the
# panic line and crashcopy's messages are ASCII already; this is the safe
# fallback for anything else). A trailing newline in STRING is kept.
json_str() {
	# The '.' guards trailing newlines, which awk's record split would drop.
	printf '%s.' "$1" | LC_ALL=C awk '
BEGIN { for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i }
{ buf = (NR > 1) ? buf "\n" $0 : $0 }
END {
	buf = substr(buf, 1, length(buf) - 1)
	out = "\""
	n = length(buf)
	for (i = 1; i <= n; i++) {
		c = substr(buf, i, 1)
		o = ord[c]
		if (c == "\"") out = out "\\\""
		else if (c == "\\") out = out "\\\\"
		else if (o == 10) out = out "\\n"
		else if (o == 9) out = out "\\t"
		else if (o == 13) out = out "\\r"
		else if (o < 32 || o >= 127) out = out sprintf("\\u%04x", o)
		else out = out c
	}
	printf "%s\"", out
}'
}

# json_num VALUE: print VALUE when it is a decimal number (an optional '-',
# digits, an optional fraction), else null.
json_num() {
	case $1 in
	'' | - | *[!0-9.-]* | ?*-* | *.*.* | .* | *.) printf 'null' ;;
	-.*) printf 'null' ;;
	*) printf '%s' "$1" ;;
	esac
}

# json_bool VALUE: true for yes/true/1, else false.
json_bool() {
	case $1 in
	yes | true | 1) printf 'true' ;;
	*) printf 'false' ;;
	esac
}

# json_str_or_null STRING: json_str, or null when STRING is empty.
json_str_or_null() {
	if [ -n "$1" ]; then
		json_str "$1"
	else
		printf 'null'
	fi
}
