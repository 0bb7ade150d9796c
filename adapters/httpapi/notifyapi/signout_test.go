package notifyapi_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/notifyapi"
)

func TestMain(m *testing.M) {
	// heartbeats often, so that a stream notices a sign-out within the tests' patience
	notifyapi.Heartbeat = 300 * time.Millisecond
	os.Exit(m.Run())
}

// TestStreamEndsAtSignOut: a live stream does not outlive its session: signing out (or an
// administrator disabling the account) ends it at the next heartbeat, while another user's stream
// goes on.
func TestStreamEndsAtSignOut(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, zhang := h.CreateUser(admin, "zhang.stream", "sales")
		wangID, wang := h.CreateUser(admin, "wang.stream", "sales")
		_, li := h.CreateUser(admin, "li.stream", "sales")
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		zs, ws, ls := sse(t, ctx, h, zhang), sse(t, ctx, h, wang), sse(t, ctx, h, li)
		for _, s := range []<-chan [2]string{zs, ws, ls} {
			next(t, s, "count")
		}
		ended := func(s <-chan [2]string) bool {
			deadline := time.After(5 * time.Second)
			for {
				select {
				case _, ok := <-s:
					if !ok {
						return true
					}
				case <-deadline:
					return false
				}
			}
		}
		h.Must(h.Do("POST", "/api/v1/auth/logout", zhang, nil), 204)
		h.Must(h.Do("POST", "/api/v1/users/"+wangID+"/disable", admin, nil), 200)
		if !ended(zs) {
			t.Fatal("the stream outlived its signed-out session by 5 s")
		}
		if !ended(ws) {
			t.Fatal("the stream outlived the disabling of its account by 5 s")
		}
		if ended(ls) {
			t.Fatal("a signed-in user's stream ended")
		}
	})
}
