package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"
)

// ReadyAnnotation on a namespace is the test bed's command to the node stand-in: "false" makes every pod created
// in that namespace from then on start and never become Ready (a crash loop, as when a new Secret value breaks
// the app); absent or any other value makes new pods Ready. Pods already decided keep their status.
const ReadyAnnotation = "testbed.eks-secret-sync.io/new-pods-ready"

// runKubelet is the node stand-in: it registers one Node that reports Ready and, for every pod, does what the
// scheduler and the kubelet would do, through the API only: binds the pod to the node (pods/binding), reports
// its status (pods/status: Running, and Ready unless the namespace says otherwise) and completes a graceful
// deletion. No container runs.
func runKubelet(args []string) error {
	fs := flag.NewFlagSet("kubelet", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of an identity that may write nodes, pods and their status")
	nodeName := fs.String("node-name", "testbed-node", "name of the Node to register")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := registerNode(ctx, client, *nodeName); err != nil {
		return fmt.Errorf("register node %s: %w", *nodeName, err)
	}

	factory := informers.NewSharedInformerFactory(client, 0)
	pods := factory.Core().V1().Pods()
	namespaces := factory.Core().V1().Namespaces()
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			queue.Add(key)
		}
	}
	if _, err := pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return err
	}
	nsLister := namespaces.Lister()
	namespaces.Informer() // registered before Start so the factory runs it
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("cache of %v did not sync", typ)
		}
	}
	fmt.Fprintf(os.Stderr, "kubelet stand-in: node %s registered and Ready\n", *nodeName)
	go func() {
		<-ctx.Done()
		queue.ShutDown()
	}()
	for {
		key, shutdown := queue.Get()
		if shutdown {
			return nil
		}
		err := syncPod(ctx, client, pods.Lister(), nsLister, *nodeName, key)
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(os.Stderr, "kubelet stand-in: pod %s: %v\n", key, err)
			queue.AddRateLimited(key)
		} else {
			queue.Forget(key)
		}
		queue.Done(key)
	}
}

func registerNode(ctx context.Context, client kubernetes.Interface, name string) error {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
	}}}
	created, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		created, err = client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return err
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
	now := metav1.Now()
	created.Status = corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "test bed node stand-in", LastHeartbeatTime: now, LastTransitionTime: now,
		}},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
	}
	updated, err := client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	// The apiserver's NodeTaint admission gives a new Node the taint node.kubernetes.io/not-ready:NoSchedule; the
	// node lifecycle controller (not run here) removes it once the Node reports Ready. Without this, the daemonset
	// controller schedules no pod on the node (its pods do not tolerate that taint): remove it as that controller
	// would.
	var kept []corev1.Taint
	for _, t := range updated.Spec.Taints {
		if t.Key != corev1.TaintNodeNotReady && t.Key != corev1.TaintNodeUnreachable {
			kept = append(kept, t)
		}
	}
	if len(kept) == len(updated.Spec.Taints) {
		return nil
	}
	updated.Spec.Taints = kept
	_, err = client.CoreV1().Nodes().Update(ctx, updated, metav1.UpdateOptions{})
	return err
}

func syncPod(
	ctx context.Context,
	client kubernetes.Interface,
	pods corelisters.PodLister,
	namespaces corelisters.NamespaceLister,
	nodeName, key string,
) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	pod, err := pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	api := client.CoreV1().Pods(ns)
	switch {
	case pod.DeletionTimestamp != nil:
		// What the kubelet does once the containers stopped: complete the graceful deletion.
		zero := int64(0)
		err := api.Delete(ctx, name, metav1.DeleteOptions{
			GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &pod.UID},
		})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	case pod.Spec.NodeName == "":
		binding := &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: name, UID: pod.UID},
			Target:     corev1.ObjectReference{Kind: "Node", Name: nodeName},
		}
		err := api.Bind(ctx, binding, metav1.CreateOptions{})
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return nil
		}
		return err
	case pod.Spec.NodeName != nodeName || hasCondition(pod, corev1.PodReady):
		return nil // another node's, or its status is already reported
	}
	ready := true
	if namespace, err := namespaces.Get(ns); err == nil && namespace.Annotations[ReadyAnnotation] == "false" {
		ready = false
	}
	updated := pod.DeepCopy()
	updated.Status = podStatus(pod, ready)
	_, err = api.UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil // a newer version of the pod is queued, or it is gone
	}
	return err
}

func hasCondition(pod *corev1.Pod, t corev1.PodConditionType) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == t {
			return true
		}
	}
	return false
}

// podStatus is what a kubelet reports for a pod whose containers started: Ready, or (ready false) a crash loop.
func podStatus(pod *corev1.Pod, ready bool) corev1.PodStatus {
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	status := corev1.ConditionTrue
	if !ready {
		status = corev1.ConditionFalse
	}
	conditions := []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: status, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: status, LastTransitionTime: now},
	}
	if !ready {
		for i := 2; i < 4; i++ {
			conditions[i].Reason = "ContainersNotReady"
		}
	}
	var containers []corev1.ContainerStatus
	for _, c := range pod.Spec.Containers {
		cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: ready}
		started := ready
		cs.Started = &started
		if ready {
			cs.State.Running = &corev1.ContainerStateRunning{StartedAt: now}
		} else {
			cs.RestartCount = 1
			cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
				Message: "test bed: pods in this namespace are set never to become ready"}
		}
		containers = append(containers, cs)
	}
	return corev1.PodStatus{
		Phase:             corev1.PodRunning,
		Conditions:        conditions,
		HostIP:            "127.0.0.1",
		HostIPs:           []corev1.HostIP{{IP: "127.0.0.1"}},
		StartTime:         &now,
		ContainerStatuses: containers,
		QOSClass:          pod.Status.QOSClass,
	}
}
