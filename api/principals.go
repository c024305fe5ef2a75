package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/auth"
)

// PrincipalOut is a principal as the API shows it.
type PrincipalOut struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      auth.Role `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	Disabled  bool      `json:"disabled"`
}

func principalOut(p auth.Principal) PrincipalOut {
	return PrincipalOut{ID: p.ID, Name: p.Name, Role: p.Role, CreatedAt: p.CreatedAt.UTC(), Disabled: p.Disabled}
}

// CodeLastAdmin refuses revoking the last usable admin token or disabling
// the last usable admin (auth.ErrLastAdmin).
const CodeLastAdmin = "last_admin"

// TokenOut describes a token, never with its secret.
type TokenOut struct {
	ID          string    `json:"id"`
	PrincipalID string    `json:"principal_id"`
	Label       string    `json:"label,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	Revoked     bool      `json:"revoked"`
}

// IssuedTokenOut is a token with its secret, in the response that issues it
// and nowhere else.
type IssuedTokenOut struct {
	ID          string    `json:"id"`
	PrincipalID string    `json:"principal_id"`
	Label       string    `json:"label,omitempty"`
	Token       string    `json:"token"`
	CreatedAt   time.Time `json:"created_at"`
}

func requireAdmin(c echo.Context) error {
	if principal(c).Role != auth.RoleAdmin {
		return newProblem(http.StatusForbidden, CodeForbidden, "only admins manage principals and tokens")
	}
	return nil
}

func (s *Server) getMe(c echo.Context) error {
	return c.JSON(http.StatusOK, principalOut(principal(c)))
}

func (s *Server) createPrincipal(c echo.Context) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	var body struct {
		Name string    `json:"name"`
		Role auth.Role `json:"role"`
	}
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	p, err := s.auth.CreatePrincipal(c.Request().Context(), body.Name, body.Role)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/principals/"+p.ID)
	return c.JSON(http.StatusCreated, principalOut(p))
}

func (s *Server) listPrincipals(c echo.Context) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	pg, err := parsePage(c)
	if err != nil {
		return err
	}
	ps := s.auth.Principals()
	out := make([]PrincipalOut, len(ps))
	for i, p := range ps {
		out[i] = principalOut(p)
	}
	return c.JSON(http.StatusOK, paginate(out, pg))
}

func (s *Server) getPrincipal(c echo.Context) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	p, err := s.auth.Principal(c.Param("principal_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, principalOut(p))
}

func (s *Server) issueToken(c echo.Context) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	var body struct {
		Label string `json:"label"`
	}
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	t, err := s.auth.IssueToken(c.Request().Context(), c.Param("principal_id"), body.Label)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, IssuedTokenOut{
		ID: t.ID, PrincipalID: t.PrincipalID, Label: t.Label, Token: t.Secret, CreatedAt: t.CreatedAt.UTC(),
	})
}

func (s *Server) listTokens(c echo.Context) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	pg, err := parsePage(c)
	if err != nil {
		return err
	}
	id := c.Param("principal_id")
	if _, err := s.auth.Principal(id); err != nil {
		return err
	}
	ts := s.auth.Tokens(id)
	out := make([]TokenOut, len(ts))
	for i, t := range ts {
		out[i] = TokenOut{ID: t.ID, PrincipalID: t.PrincipalID, Label: t.Label, CreatedAt: t.CreatedAt.UTC(), Revoked: t.Revoked}
	}
	return c.JSON(http.StatusOK, paginate(out, pg))
}

func (s *Server) revokeToken(c echo.Context) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	if err := s.auth.RevokeToken(c.Request().Context(), c.Param("token_id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) disablePrincipal(c echo.Context) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	p, err := s.auth.DisablePrincipal(c.Request().Context(), c.Param("principal_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, principalOut(p))
}

func (s *Server) enablePrincipal(c echo.Context) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	p, err := s.auth.EnablePrincipal(c.Request().Context(), c.Param("principal_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, principalOut(p))
}
