package org.allerta.service.problem;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * An RFC 9457 problem detail, as every Allerta REST refusal is answered ({@code application/problem+json}).
 *
 * @param type     {@code urn:allerta:problem:<slug>}, one per kind of problem
 * @param title    short, the same for every occurrence of the type
 * @param status   the HTTP status
 * @param detail   what went wrong this time, in words a publisher can act on
 * @param problems machine-readable list: each problem's own type, where it is (JSON pointer, CAP element path or
 *                 header) and why
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Problem(String type, String title, int status, String detail, List<Issue> problems) {

    public static final String MEDIA_TYPE = "application/problem+json";
    public static final String TYPE_PREFIX = "urn:allerta:problem:";

    public Problem {
        problems = problems == null ? List.of() : List.copyOf(problems);
    }

    /** A problem of the given slug. */
    public static Problem of(int status, String slug, String title, String detail) {
        return new Problem(TYPE_PREFIX + slug, title, status, detail, List.of());
    }

    /** The slug of a problem type ({@code urn:allerta:problem:<slug>}), or the type as it is when it has none. */
    public static String slug(String type) {
        return type != null && type.startsWith(TYPE_PREFIX) ? type.substring(TYPE_PREFIX.length())
                : String.valueOf(type);
    }

    /** The same problem with a list of issues. */
    public Problem with(List<Issue> issues) {
        if (issues == null || issues.size() <= MAX_ISSUES) {
            return new Problem(type, title, status, detail, issues);
        }
        // an input wrong in a hundred thousand places is told of the first hundred: the answer (or the dead letter)
        // stays small enough to be sent and read
        var listed = new java.util.ArrayList<>(issues.subList(0, MAX_ISSUES));
        listed.add(Issue.of("more-issues", "", (issues.size() - MAX_ISSUES) + " more issues of this input are not"
                + " listed; mend those above and send it again."));
        return new Problem(type, title, status, detail, listed);
    }

    /** The most issues one problem lists. */
    public static final int MAX_ISSUES = 100;

    /**
     * One issue in a refused input.
     *
     * @param type  {@code urn:allerta:problem:<slug>} of this issue
     * @param where a JSON pointer ("/geometry/coordinates/0/3"), a CAP element path ("/alert/info[1]/area[0]/polygon[0]")
     *              or a header name
     * @param why   a sentence a publisher can act on
     */
    public record Issue(String type, String where, String why) {

        /** An issue of the given slug. */
        public static Issue of(String slug, String where, String why) {
            return new Issue(TYPE_PREFIX + slug, where, why);
        }

        /** The slug of the type, without the prefix. */
        public String slug() {
            return type.startsWith(TYPE_PREFIX) ? type.substring(TYPE_PREFIX.length()) : type;
        }
    }
}
