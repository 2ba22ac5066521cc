package org.allerta.contracts;

/** Outcome of a notification job as reported by a sender or a provider. */
public enum ReceiptStatus {
    SENT,
    DELIVERED,
    FAILED,
    READ
}
