package dev.mailbatch.job;

import java.net.IDN;
import java.util.Locale;
import java.util.Optional;

/**
 * An RFC 5321/5322 addr-spec that an SMTP server can be asked to deliver to.
 *
 * <p>Accepted: a dot-atom or quoted-string local part of at most 64 octets (ASCII: SMTPUTF8
 * local parts are rejected), and a domain of at least two labels that is either ASCII or an
 * internationalised name, which is converted to its punycode (A-label) form. Domain literals
 * ({@code [192.0.2.1]}), comments and folding white space are rejected: no mail provider
 * accepts them from an API. The whole address is at most 254 octets (RFC 5321 path limit).
 *
 * @param address the address as it will be sent: local part as given, domain in ASCII
 * @param key the de-duplication key: the address lower-cased
 */
public record EmailAddress(String address, String key) {

    public static final int MAX_LENGTH = 254;
    private static final int MAX_LOCAL = 64;
    private static final String ATEXT = "!#$%&'*+-/=?^_`{|}~";

    /** Parses one address, or says in a short sentence why it is not one. */
    public static Result parse(String raw) {
        if (raw == null || raw.isEmpty()) {
            return Result.invalid("must not be empty");
        }
        if (raw.length() > 4 * MAX_LENGTH) {
            return Result.invalid("is longer than " + MAX_LENGTH + " characters");
        }
        int at = raw.lastIndexOf('@');
        if (at <= 0 || at == raw.length() - 1) {
            return Result.invalid("must look like local-part@domain");
        }
        String local = raw.substring(0, at);
        Optional<String> localError = checkLocal(local);
        if (localError.isPresent()) {
            return Result.invalid(localError.get());
        }
        String domain;
        try {
            domain = IDN.toASCII(raw.substring(at + 1), IDN.USE_STD3_ASCII_RULES);
        } catch (IllegalArgumentException e) {
            return Result.invalid("has an invalid domain");
        }
        Optional<String> domainError = checkDomain(domain);
        if (domainError.isPresent()) {
            return Result.invalid(domainError.get());
        }
        String address = unquoted(local) + "@" + domain.toLowerCase(Locale.ROOT);
        if (address.length() > MAX_LENGTH) {
            return Result.invalid("is longer than " + MAX_LENGTH + " characters");
        }
        return new Result(new EmailAddress(address, address.toLowerCase(Locale.ROOT)), null);
    }

    /**
     * A quoted local part that needs no quotes ({@code "ada"}) is the same mailbox as the unquoted
     * one (RFC 5321 section 4.1.2): it is sent, and de-duplicated, unquoted. One that needs them
     * ({@code "ada lovelace"}) keeps them.
     */
    static String unquoted(String local) {
        if (local.length() < 3 || local.charAt(0) != '"' || local.charAt(local.length() - 1) != '"') {
            return local;
        }
        String inner = local.substring(1, local.length() - 1);
        boolean dotAtom = !inner.startsWith(".")
                && !inner.endsWith(".")
                && !inner.contains("..")
                && inner.chars()
                        .allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '.' || ATEXT.indexOf(c) >= 0));
        return dotAtom ? inner : local;
    }

    private static Optional<String> checkLocal(String local) {
        if (local.length() > MAX_LOCAL) {
            return Optional.of("has a local part longer than " + MAX_LOCAL + " characters");
        }
        if (local.startsWith("\"")) {
            return quotedLocalIsValid(local) ? Optional.empty() : Optional.of("has an invalid quoted local part");
        }
        if (local.startsWith(".") || local.endsWith(".") || local.contains("..")) {
            return Optional.of("has a local part with a misplaced dot");
        }
        for (int i = 0; i < local.length(); i++) {
            char c = local.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '.'
                    || ATEXT.indexOf(c) >= 0;
            if (!ok) {
                return Optional.of("has a character not allowed in a local part");
            }
        }
        return Optional.empty();
    }

    /** quoted-string: DQUOTE 1*(qtext / quoted-pair) DQUOTE, printable ASCII only (not empty). */
    private static boolean quotedLocalIsValid(String local) {
        if (local.length() < 3 || !local.endsWith("\"")) {
            return false;
        }
        for (int i = 1; i < local.length() - 1; i++) {
            char c = local.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
            if (c == '\\') {
                i++;
                if (i >= local.length() - 1 || local.charAt(i) < 0x20 || local.charAt(i) > 0x7e) {
                    return false;
                }
            } else if (c == '"') {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code domain} has passed {@link IDN#toASCII} with STD3 rules, which rejects empty labels,
     * labels over 63 octets, a label's leading or trailing hyphen and any character but letters,
     * digits and hyphens. Left to check: a trailing root dot, a single label, an all-digit top
     * label (an IPv4 address). Its length is bounded by the whole address's.
     */
    private static Optional<String> checkDomain(String domain) {
        if (domain.endsWith(".")) {
            return Optional.of("has an invalid domain");
        }
        int lastDot = domain.lastIndexOf('.');
        if (lastDot < 0) {
            return Optional.of("has a domain without a dot");
        }
        if (domain.substring(lastDot + 1).chars().allMatch(Character::isDigit)) {
            return Optional.of("has an invalid domain");
        }
        return Optional.empty();
    }

    /** An address that was validated and normalised before (at submit): only the key is computed. */
    public static EmailAddress ofNormalized(String address) {
        return new EmailAddress(address, address.toLowerCase(Locale.ROOT));
    }

    @Override
    public String toString() {
        return address;
    }

    /** Either an address or the reason it is not one. */
    public record Result(EmailAddress value, String error) {
        static Result invalid(String error) {
            return new Result(null, error);
        }

        public boolean isValid() {
            return value != null;
        }
    }
}
