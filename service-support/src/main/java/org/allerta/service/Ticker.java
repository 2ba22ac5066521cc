package org.allerta.service;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The clock of a service's background work: daemon threads of one name that run tasks at a fixed delay, each run
 * starting that long after the previous one ended. A task should catch what it can survive: one that throws is not
 * run again. Closed at the service's stop.
 */
public final class Ticker implements AutoCloseable {

    private final ScheduledExecutorService executor;

    private Ticker(String name, int threads) {
        this.executor = Executors.newScheduledThreadPool(threads, r -> {
            Thread thread = new Thread(r, name);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** A ticker of one thread named {@code name}. */
    public static Ticker start(String name) {
        return new Ticker(name, 1);
    }

    /** A ticker of {@code threads} threads named {@code name}, for tasks that must not wait for each other. */
    public static Ticker start(String name, int threads) {
        return new Ticker(name, threads);
    }

    /** Runs {@code task} every {@code delay}, the first time after {@code delay}. */
    public Ticker every(Duration delay, Runnable task) {
        return every(delay, delay, task);
    }

    /** Runs {@code task} every {@code delay}, the first time after {@code first}. */
    public Ticker every(Duration first, Duration delay, Runnable task) {
        executor.scheduleWithFixedDelay(task, first.toMillis(), delay.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** Stops the threads; a run under way is interrupted. */
    @Override
    public void close() {
        executor.shutdownNow();
    }

    /** Stops the threads and waits up to {@code wait} for a run under way to end. */
    public void close(Duration wait) throws InterruptedException {
        executor.shutdownNow();
        executor.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
    }
}
