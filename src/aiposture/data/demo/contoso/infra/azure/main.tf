# Contoso's shared Azure OpenAI account: created in a hurry for a hackathon.
resource "azurerm_resource_group" "ai" {
  name     = "rg-contoso-ai"
  location = "westeurope"
}

resource "azurerm_cognitive_account" "openai" {
  name                          = "contoso-openai"
  location                      = azurerm_resource_group.ai.location
  resource_group_name           = azurerm_resource_group.ai.name
  kind                          = "OpenAI"
  sku_name                      = "S0"
  public_network_access_enabled = true
  local_auth_enabled            = true
  custom_subdomain_name         = "contoso-openai"
}

resource "azurerm_cognitive_deployment" "support_gpt4o" {
  name                 = "support-gpt4o"
  cognitive_account_id = azurerm_cognitive_account.openai.id
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-08-06"
  }
  sku {
    name = "Standard"
  }
}

resource "azurerm_search_service" "wiki" {
  name                = "contoso-wiki-search"
  resource_group_name = azurerm_resource_group.ai.name
  location            = azurerm_resource_group.ai.location
  sku                 = "standard"
  public_network_access_enabled = true
}
