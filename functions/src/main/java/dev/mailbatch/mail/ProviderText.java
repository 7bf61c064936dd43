package dev.mailbatch.mail;

import java.util.regex.Pattern;

/**
 * What of a provider's answer a caller may see (it is recorded as a recipient's error and shown
 * by the recipients listing): one line of printable text, at most 200 characters, with email
 * addresses, ARNs, AWS account ids and bearer tokens blanked out.
 */
final class ProviderText {
    static final int MAX_CHARS = 200;
    private static final Pattern ADDRESS = Pattern.compile("[^\\s\"'<>@,;:]+@[^\\s\"'<>@,;:]+");
    private static final Pattern ARN = Pattern.compile("arn:[a-z0-9-]+:[^\\s\"']*");
    private static final Pattern ACCOUNT = Pattern.compile("(?<![0-9])[0-9]{12}(?![0-9])");
    private static final Pattern BEARER = Pattern.compile("(?i)bearer\\s+[A-Za-z0-9._~+/=-]+");

    private ProviderText() {}

    static String sanitised(String text) {
        if (text == null || text.isBlank()) {
            return "";
        }
        String s = text.codePoints()
                .map(c -> Character.isISOControl(c) || c == 0x2028 || c == 0x2029 ? ' ' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
        s = BEARER.matcher(s).replaceAll("Bearer [token]");
        s = ARN.matcher(s).replaceAll("[arn]");
        s = ADDRESS.matcher(s).replaceAll("[address]");
        s = ACCOUNT.matcher(s).replaceAll("[account]");
        s = s.replaceAll("\\s+", " ").trim();
        return s.length() > MAX_CHARS ? s.substring(0, MAX_CHARS) + "..." : s;
    }
}
