package org.allerta.intake.publisher;

/** Who is calling, once the API key is recognised. */
public sealed interface Caller {

    /** The administration key. */
    record Admin() implements Caller {
    }

    /** A publisher's key. */
    record AsPublisher(PublisherRecord publisher) implements Caller {
    }
}
