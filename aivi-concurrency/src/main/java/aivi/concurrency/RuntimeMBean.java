package aivi.concurrency;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.ObjectName;
import javax.management.ReflectionException;

/**
 * The JMX view of the library: one MBean per process, {@value #NAME} on the platform MBean server, whose
 * operation {@code dump()} returns the {@link FiberDump} of every open {@link EffectRuntime} as text, and
 * whose attribute {@code LiveFibers} sums their live fibers. jconsole, VisualVM or any JMX client can print
 * a dump without code changes.
 *
 * <p>One MBean, not one per runtime: starting the platform MBean server costs about a second of CPU and each
 * registration about half a millisecond, which a runtime creation must not pay. A runtime joins the registry
 * when it is created ({@link #add}, a lock and a map insertion) and leaves it when it is closed
 * ({@link #remove}); the registry holds runtimes weakly, so one dropped without closing can still be
 * collected. The MBean is registered once, on a background daemon thread started by the first runtime, so
 * no runtime creation waits for JMX. If JMX is unavailable or refuses, there is simply no MBean.
 * {@link TestRuntime}s stay out of the registry.
 *
 * <p>A dynamic MBean, so the library's public API gains no MBean interface.
 */
final class RuntimeMBean implements DynamicMBean {
    static final String NAME = "dev.aivi.concurrency:type=EffectRuntimes";

    private static final ReentrantLock LOCK = new ReentrantLock();
    /** Open runtimes, weakly, with their registration number; guarded by {@link #LOCK}. */
    private static final WeakHashMap<EffectRuntime, Long> RUNTIMES = new WeakHashMap<>();
    private static final AtomicLong IDS = new AtomicLong();
    private static final AtomicBoolean REGISTERING = new AtomicBoolean();

    private RuntimeMBean() {
    }

    /** Adds {@code rt} to the dump; starts the one-time registration of the MBean. */
    static void add(EffectRuntime rt) {
        LOCK.lock();
        try {
            RUNTIMES.put(rt, IDS.incrementAndGet());
        } finally {
            LOCK.unlock();
        }
        if (!REGISTERING.get() && REGISTERING.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("aivi-jmx-registration").start(RuntimeMBean::registerOnce);
        }
    }

    /** Removes {@code rt} (closed) from the dump. */
    static void remove(EffectRuntime rt) {
        LOCK.lock();
        try {
            RUNTIMES.remove(rt);
        } finally {
            LOCK.unlock();
        }
    }

    private static void registerOnce() {
        try {
            ObjectName name = new ObjectName(NAME);
            var server = ManagementFactory.getPlatformMBeanServer();
            if (!server.isRegistered(name)) {
                server.registerMBean(new RuntimeMBean(), name);
            }
        } catch (Exception | LinkageError e) {
            // no JMX here (or another class loader registered it first): the dump stays reachable in code
        }
    }

    /** The open runtimes with their numbers, oldest first. */
    private static List<java.util.Map.Entry<EffectRuntime, Long>> runtimes() {
        LOCK.lock();
        try {
            List<java.util.Map.Entry<EffectRuntime, Long>> out = new ArrayList<>();
            for (var e : RUNTIMES.entrySet()) {
                out.add(java.util.Map.entry(e.getKey(), e.getValue()));
            }
            out.sort(java.util.Map.Entry.comparingByValue());
            return out;
        } finally {
            LOCK.unlock();
        }
    }

    /** The text of the {@code dump()} operation. */
    static String dumpAll() {
        StringBuilder sb = new StringBuilder();
        for (var e : runtimes()) {
            EffectRuntime rt = e.getKey();
            if (!sb.isEmpty()) {
                sb.append("\n\n");
            }
            sb.append("EffectRuntime #").append(e.getValue()).append(" (fibers named ")
                    .append(rt.config().fiberNamePrefix()).append("N): ").append(rt.dump());
        }
        return sb.isEmpty() ? "no open EffectRuntime" : sb.toString();
    }

    @Override
    public Object getAttribute(String attribute) throws AttributeNotFoundException {
        return switch (attribute) {
            case "LiveFibers" -> runtimes().stream().mapToLong(e -> e.getKey().liveFibers()).sum();
            case "Runtimes" -> runtimes().size();
            default -> throw new AttributeNotFoundException("no attribute " + attribute);
        };
    }

    @Override
    public void setAttribute(Attribute attribute) throws AttributeNotFoundException {
        throw new AttributeNotFoundException("read-only: " + attribute.getName());
    }

    @Override
    public AttributeList getAttributes(String[] attributes) {
        AttributeList list = new AttributeList();
        for (String a : attributes) {
            try {
                list.add(new Attribute(a, getAttribute(a)));
            } catch (AttributeNotFoundException e) {
                // skipped, as the DynamicMBean contract allows
            }
        }
        return list;
    }

    @Override
    public AttributeList setAttributes(AttributeList attributes) {
        return new AttributeList();
    }

    @Override
    public Object invoke(String actionName, Object[] params, String[] signature) throws ReflectionException {
        if ("dump".equals(actionName) && (params == null || params.length == 0)) {
            return dumpAll();
        }
        throw new ReflectionException(new NoSuchMethodException(actionName),
                "no operation " + actionName + " with " + (params == null ? 0 : params.length) + " parameters");
    }

    @Override
    public MBeanInfo getMBeanInfo() {
        return new MBeanInfo(RuntimeMBean.class.getName(), "The open aivi.concurrency EffectRuntimes",
                new MBeanAttributeInfo[] {
                        new MBeanAttributeInfo("LiveFibers", "long", "fibers started and not yet ended, all runtimes",
                                true, false, false),
                        new MBeanAttributeInfo("Runtimes", "int", "open runtimes", true, false, false),
                },
                null,
                new MBeanOperationInfo[] {
                        new MBeanOperationInfo("dump", "every open runtime's live fibers as a tree: name, state, "
                                + "what each waits on and for how long",
                                new MBeanParameterInfo[0], "java.lang.String", MBeanOperationInfo.INFO),
                },
                null);
    }

    /** For tests: whether {@code rt} is in the registry. */
    static boolean contains(EffectRuntime rt) {
        LOCK.lock();
        try {
            return RUNTIMES.containsKey(rt);
        } finally {
            LOCK.unlock();
        }
    }
}
